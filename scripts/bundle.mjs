// Bundles the CLI and its worker threads (from the compiled dist/src) into
// dist/src/bundle/: one module graph of ~100 files costs a cold start ~50 ms in
// Node's ESM loader, a handful of chunks a fraction of that (each worker is a single
// file, see below). The bundle sits at
// the same depth as dist/src/<dir>/, so every `new URL('../../../…', import.meta.url)`
// (kernels, role tables, package.json) and the workers' `./<name>-worker.js`
// resolve the same bundled or not. The library entries stay unbundled.
//
// Under Node the CLI and the bridge worker run from dist/src/bundle-node/ instead:
// the same code as CommonJS-style scripts (cac bundled in), which src/cli/code-cache.ts
// runs through vm.Script with V8's code cache. ESM modules take no cached data, and
// parsing and compiling these modules is a good part of a conversion's start-up on
// both threads. Same depth again, so the relative URLs hold; `import.meta.url` is the
// script's URL, passed in by the loader. Deno and Bun use dist/src/bundle/.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const outdir = new URL('dist/src/bundle/', root);
const nodeOutdir = new URL('dist/src/bundle-node/', root);
rmSync(outdir, { recursive: true, force: true });
rmSync(nodeOutdir, { recursive: true, force: true }); // and the code caches of the last build
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

// Node: main.cjs and bridge-worker.cjs, one file each (esbuild splits no CommonJS;
// from its cache the whole CLI loads for --help as fast as the ESM chunks do)
await build({
  ...common,
  outdir: 'dist/src/bundle-node',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  packages: undefined, // cac is bundled in (ESM-only, and cached with the rest)
  external: ['@huggingface/hub'], // loaded only for hf: sources; require() takes its CommonJS build
  define: { 'import.meta.url': '__import_meta_url' }, // the loader's parameter
  entryPoints: ['dist/src/cli/main.js', 'dist/src/stages/bridge-worker.js', 'dist/src/cli/early-worker.js', 'dist/src/cli/code-cache.js'],
});
// everything in bundle-node is CommonJS, the stubs below included: a worker (like bin,
// see bin/package.json) whose entry is CommonJS starts without Node's ESM loader
writeFileSync(new URL('package.json', nodeOutdir), '{ "type": "commonjs" }\n');
// `new Worker(new URL('./bridge-worker.js', import.meta.url))` starts this stub, which
// loads the script with its cache; the MoE worker (top-level await, no CommonJS) is the ESM one
writeFileSync(new URL('bridge-worker.js', nodeOutdir),
  "require('./code-cache.cjs').runCached(require('node:url').pathToFileURL(require('node:path').join(__dirname, 'bridge-worker.cjs')));\n");
writeFileSync(new URL('collapse-moe-worker.js', nodeOutdir), "import('../bundle/collapse-moe-worker.js');\n");
