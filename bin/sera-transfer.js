#!/usr/bin/env node
// The bundled CLI (dist/src/bundle, built by `npm run build`) starts faster;
// the plain compiled modules serve when only `tsc` has run.
import { existsSync } from 'node:fs';

const bundled = new URL('../dist/src/bundle/main.js', import.meta.url);
const { main } = await import(existsSync(bundled) ? bundled.href : '../dist/src/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`sera-transfer: internal error: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
