#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json): Node starts a CommonJS entry without its ESM loader,
// which costs a conversion's start-up several ms. Under Node the CLI runs from the
// CommonJS bundle in dist/src/bundle-node with V8's code cache (src/cli/code-cache.ts);
// Deno and Bun import the ESM bundle (dist/src/bundle); the plain compiled modules
// serve when only `tsc` has run.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const dist = join(__dirname, '..', 'dist', 'src');
const nodeBundle = join(dist, 'bundle-node', 'main.cjs');
const argv = process.argv.slice(2);
let early = null;
let cli;
if (globalThis.Deno === undefined && globalThis.Bun === undefined && existsSync(nodeBundle)) {
  const { runCached, raiseTierUpBudgetWhenSettled } = require(join(dist, 'bundle-node', 'code-cache.cjs'));
  const settle = raiseTierUpBudgetWhenSettled(); // listens before a worker starts
  // a conversion's bridge worker starts first, so its start-up (Node's worker bootstrap
  // is the longest part) overlaps all of this thread's (src/cli/early-worker.ts)
  early = runCached(pathToFileURL(join(dist, 'bundle-node', 'early-worker.cjs'))).earlyBridgeWorker(argv);
  // a conversion's cache holds the converter too; a --help run's would not
  const loaded = runCached(pathToFileURL(nodeBundle), () => loaded.loadedConverter());
  // V8's tier-up budget, once the worker has read its caches too (src/cli/tier-up.ts)
  void settle(early ? 1 : 0);
  cli = Promise.resolve(loaded);
} else {
  const bundled = join(dist, 'bundle', 'main.js');
  cli = import(pathToFileURL(existsSync(bundled) ? bundled : join(dist, 'cli', 'main.js')).href);
}

cli.then(({ main }) => main(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, bridgeWorker: early, exitsAfter: true })).then(
  (code) => {
    // the CLI has finished (its package committed or its error reported) and stopped
    // handling signals: one arriving while the process exits must not kill it with 130
    // and no message, so it is ignored (signal listeners do not keep the process alive)
    process.on('SIGINT', () => {}).on('SIGTERM', () => {});
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`sera-transfer: internal error: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
).finally(() => {
  early?.release(); // a conversion took it or stopped it; anything else stops it here
  // exit once stdout and stderr are flushed: a process that ends by itself first tears its
  // environment down, and Node closes its signal watchers early in that, so a signal in the
  // last few ms killed it (130, no message) with its work done; process.exit skips that part.
  // The early worker ends first (it may be writing its code cache at exit; 1 s at most).
  const ended = early ? Promise.race([early.exited, new Promise((r) => setTimeout(r, 1000).unref())]) : Promise.resolve();
  ended.then(() => process.stdout.write('', () => process.stderr.write('', () => process.exit())));
});
