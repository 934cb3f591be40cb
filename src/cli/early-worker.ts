// For bin/sera-transfer.js, before it loads the CLI (under Node): a conversion's
// bridge worker thread, started first so that its start-up (Node's worker bootstrap
// is the longest part) overlaps all of the main thread's (see stages/bridge-spawn.ts).
// Only the cheap reading of argv happens here; the CLI parses for real afterwards.
import { OTHER_COMMANDS } from './args.js';
import { isHubSource } from '../hub/source.js';
import { BridgeWorker, bridgeOnWorker, guessWeightBytes } from '../stages/bridge-spawn.js';
import { resolve } from 'node:path';

/** The value of `--name V` or `--name=V` in argv (the last one given); undefined when absent. */
function flagValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  argv.forEach((a, i) => {
    if (a === name && i + 1 < argv.length) value = argv[i + 1];
    else if (a.startsWith(`${name}=`)) value = a.slice(name.length + 1);
  });
  return value;
}

/** Flags with which convert does not start its stages. */
const NO_STAGES = /^(-h|--help|-v|--version|--dry-run|--interactive)$/;

/**
 * The bridge worker of a conversion whose --source is a local folder (the flag spelled
 * out in full) holding a checkpoint that bridges on a worker; null otherwise, and the
 * CLI decides after parsing (see runConvert). A wrong guess costs only time: the
 * conversion stops an unneeded worker.
 */
export function earlyBridgeWorker(argv: readonly string[]): BridgeWorker | null {
  if (OTHER_COMMANDS.has(argv[0] ?? '') || argv.some((a) => NO_STAGES.test(a))) return null;
  const source = flagValue(argv, '--source');
  if (source === undefined || isHubSource(source)) return null;
  return bridgeOnWorker(guessWeightBytes(resolve(source), flagValue(argv, '--original-subdir') ?? null)) ? BridgeWorker.spawn(true) : null;
}
