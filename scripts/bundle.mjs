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
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

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
// loads the script with its cache, then tells the main thread whether it writes one at
// exit (see code-cache.ts); the MoE worker (top-level await, no CommonJS) is the ESM one
// (only bin's early worker uses the cache: BridgeWorker.spawn's workerData.codeCache)
writeFileSync(new URL('bridge-worker.js', nodeOutdir), [
  "const cache = require('./code-cache.cjs');",
  "const early = require('node:worker_threads').workerData?.codeCache === true;",
  "cache.runCached(require('node:url').pathToFileURL(require('node:path').join(__dirname, 'bridge-worker.cjs')), undefined, early);",
  'if (early) cache.announceCacheState();',
  '',
].join('\n'));
writeFileSync(new URL('collapse-moe-worker.js', nodeOutdir), "import('../bundle/collapse-moe-worker.js');\n");

// ASCII scripts: V8 keeps a source with one character above U+00FF (esbuild escapes
// them in code, not in the comments it keeps) as two bytes a character, so loading
// main.cjs decoded, copied and hashed 1 MB more on every start. Comments lose theirs.
for (const name of readdirSync(nodeOutdir).filter((n) => n.endsWith('.cjs'))) {
  const file = new URL(name, nodeOutdir);
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\x00-\x7f]/g, '?'));
  const left = /[^\x00-\x7f]/.exec(text);
  if (left) throw new Error(`bundle: ${name} keeps a non-ASCII character outside comments: ...${text.slice(left.index - 40, left.index + 10)}`);
  writeFileSync(file, text);
}
