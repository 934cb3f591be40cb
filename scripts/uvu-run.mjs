// Runs uvu suites through its ESM entry points, so the same command works under
// Node, Deno and Bun (uvu's own bin falls back to require() under Bun).
//   <runtime> scripts/uvu-run.mjs [DIR|FILE]... (default dist/test)
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';
import { statSync } from 'node:fs';
import { dirname, basename } from 'node:path';

const targets = process.argv.slice(2);
const suites = [];
for (const t of targets.length ? targets : ['dist/test']) {
  const isFile = statSync(t).isFile();
  const ctx = await parse(isFile ? dirname(t) : t, isFile ? new RegExp(`^${basename(t).replace(/\./g, '\\.')}$`) : /\.test\.js$/, { cwd: process.cwd() });
  suites.push(...ctx.suites);
}
await run(suites, {});
