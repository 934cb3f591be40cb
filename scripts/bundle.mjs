// Bundles the CLI and its worker threads (from the compiled dist/src) into
// dist/src/bundle/: one module graph of ~100 files costs a cold start ~50 ms in
// Node's ESM loader, a handful of chunks a fraction of that (each worker is a single
// file, see below). The bundle sits at
// the same depth as dist/src/<dir>/, so every `new URL('../../../…', import.meta.url)`
// (kernels, role tables, package.json) and the workers' `./<name>-worker.js`
// resolve the same bundled or not. The library entries stay unbundled.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const outdir = new URL('dist/src/bundle/', root);
rmSync(outdir, { recursive: true, force: true });
const common = {
  absWorkingDir: new URL('.', root).pathname,
  outdir: 'dist/src/bundle',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  packages: 'external', // cac and @huggingface/hub load from node_modules as before
  logLevel: 'warning',
};
// the CLI: chunks, so --help and the other commands load only what they use
await build({ ...common, entryPoints: ['dist/src/cli/main.js'], splitting: true, chunkNames: 'chunk-[hash]' });
// each worker: one file, one read (a worker starts while the main thread is busy loading,
// and every module file it reads is a round trip through the thread pool)
await build({ ...common, entryPoints: ['dist/src/stages/bridge-worker.js', 'dist/src/stages/collapse-moe-worker.js'], splitting: false });
