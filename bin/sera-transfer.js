#!/usr/bin/env node
// The bundled CLI (dist/src/bundle, built by `npm run build`) starts faster; under
// Node its CommonJS twin in dist/src/bundle-node faster still, from V8's code cache
// (src/cli/code-cache.ts). The plain compiled modules serve when only `tsc` has run.
import { existsSync } from 'node:fs';

const nodeBundle = new URL('../dist/src/bundle-node/main.cjs', import.meta.url);
const bundled = new URL('../dist/src/bundle/main.js', import.meta.url);
const argv = process.argv.slice(2);
let main;
let early = null;
if (globalThis.Deno === undefined && globalThis.Bun === undefined && existsSync(nodeBundle)) {
  const { runCached } = await import('../dist/src/cli/code-cache.js');
  // a conversion's bridge worker starts first, so its start-up (Node's worker bootstrap
  // is the longest part) overlaps all of this thread's (src/cli/early-worker.ts)
  early = runCached(new URL('../dist/src/bundle-node/early-worker.cjs', import.meta.url)).earlyBridgeWorker(argv);
  // a conversion's cache holds the converter too; a --help run's would not
  const cli = runCached(nodeBundle, () => cli.loadedConverter());
  ({ main } = cli);
} else {
  ({ main } = await import(existsSync(bundled) ? bundled.href : '../dist/src/cli/main.js'));
}

main(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, bridgeWorker: early }).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`sera-transfer: internal error: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
).finally(() => early?.release()); // a conversion took it or stopped it; anything else stops it here
