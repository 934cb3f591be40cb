// Bundles the CLI and its worker threads (from the compiled dist/src) into
// dist/src/bundle/: one module graph of ~100 files costs a cold start ~50 ms in
// Node's ESM loader, a handful of chunks a fraction of that. The bundle sits at
// the same depth as dist/src/<dir>/, so every `new URL('../../../…', import.meta.url)`
// (kernels, role tables, package.json) and the workers' `./<name>-worker.js`
// resolve the same bundled or not. The library entries stay unbundled.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const outdir = new URL('dist/src/bundle/', root);
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: ['dist/src/cli/main.js', 'dist/src/stages/bridge-worker.js', 'dist/src/stages/collapse-moe-worker.js'],
  outdir: 'dist/src/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  packages: 'external', // cac and @huggingface/hub load from node_modules as before
  logLevel: 'warning',
});
