// Node only: V8 sends a function to TurboFan once it has run about 66 KiB of bytecode
// (--interrupt-budget, V8 11.3). A conversion of a small checkpoint lasts a quarter of a
// second on two cores, and in that time TurboFan compiled ~30 functions (the JSON
// writer, the kernels' region layout, the role matcher, ...) on background threads
// that share those cores: ~60 ms of CPU for code that ran a few ms more at most. With
// ten times the budget a short run optimises none of them, and a long run's hot loops
// are still optimised, a few ms later. (512×4 dense, 25 interleaved runs each: 0.266 →
// 0.251 s median wall, 430 → 401 ms CPU; see the README.) Output bytes do not depend on the tier.
//
// A changed V8 flag changes the hash that V8 stamps on code caches: code-cache.ts
// raises the budget only once no thread of the run is still to read or write one.
import { setFlagsFromString } from 'node:v8';

/** Ten times V8 11.3's default budget (66 KiB of bytecode). */
export const TIER_UP_BUDGET = 10 * 66 * 1024;

/** Whether Node's own options (argv before the script, NODE_OPTIONS) set V8's tiering: then it is the user's. */
export function userTunedTiering(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--(interrupt-budget|max-opt|no-opt|no-turbofan|turbofan|opt)(=|$)/.test(a));
}

/** Raises V8's tier-up budget for the rest of the process (see above); nothing when the user tuned tiering. */
export function raiseTierUpBudget(): void {
  if (userTunedTiering()) return;
  try {
    setFlagsFromString(`--interrupt-budget=${TIER_UP_BUDGET}`);
  } catch { /* not Node's V8: the default budget stays */ }
}
