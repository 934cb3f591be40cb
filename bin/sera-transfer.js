#!/usr/bin/env node
// The bundled CLI (dist/src/bundle, built by `npm run build`) starts faster; under
// Node its CommonJS twin in dist/src/bundle-node faster still, from V8's code cache
// (src/cli/code-cache.ts). The plain compiled modules serve when only `tsc` has run.
import { existsSync } from 'node:fs';

const nodeBundle = new URL('../dist/src/bundle-node/main.cjs', import.meta.url);
const bundled = new URL('../dist/src/bundle/main.js', import.meta.url);
let main;
if (globalThis.Deno === undefined && globalThis.Bun === undefined && existsSync(nodeBundle)) {
  const { runCached } = await import('../dist/src/cli/code-cache.js');
  // a conversion's cache holds the converter too; a --help run's would not
  const cli = runCached(nodeBundle, () => cli.loadedConverter());
  ({ main } = cli);
} else {
  ({ main } = await import(existsSync(bundled) ? bundled.href : '../dist/src/cli/main.js'));
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`sera-transfer: internal error: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
