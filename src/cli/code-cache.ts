// Node only: runs one of the CommonJS-style bundles in dist/src/bundle-node/ (built
// by scripts/bundle.mjs; bin/sera-transfer.js and the worker stubs there call it)
// through vm.Script with V8's code cache, so a start-up deserialises the compiled
// functions instead of parsing and compiling them again (on the main thread and on
// each worker). Node 20 has no module.enableCompileCache, and ESM modules take no
// cachedData, hence the scripts. Deno and Bun run the ESM bundle instead.
//
// The cache is `<file>.cache`: a SHA-256 of the script, a "complete" flag (8 bytes,
// so V8's data stays aligned), then V8's data. V8 itself rejects data from another
// V8 version or other flags, but of the source it checks only the length, so a
// cache is used only when the hash matches the script read now (a rebuilt bundle of
// the same length cannot run stale code). The cache is written at exit, so it also
// holds the functions this run compiled lazily: when there is no usable one, and
// again when the one there is incomplete (say, written by `--help`) and this run is
// complete (a conversion). Writes are atomic; if the folder is not writable the run
// goes on without a cache.
//
// V8 also checks the flags: a cache made after a flag changed is rejected by a run
// that reads it before the change. So the tier-up budget (tier-up.ts) is raised only
// once every thread of the run has read its caches and none is to write one at exit.
import { accessSync, closeSync, constants, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { BroadcastChannel } from 'node:worker_threads';
import { raiseTierUpBudget } from './tier-up.js';

type ScriptBody = (exports: object, require: NodeRequire, module: { exports: object }, importMetaUrl: string) => void;

const HASH_BYTES = 32;
const HEADER_BYTES = HASH_BYTES + 8;

/** Scripts of this thread whose cache is written at exit. */
let savesAtExit = 0;

/** Where each worker's stub says whether its thread writes a cache at exit (announceCacheState). */
const STATE_CHANNEL = 'sera-transfer:code-cache-state';

/**
 * Runs the script at `url` as a CommonJS module (its `import.meta.url` is `url`);
 * returns its exports. `complete()`, asked at exit, tells whether this run used
 * the script fully enough that its cache should replace an incomplete one.
 * `useCache: false` runs it without reading or writing a cache.
 */
export function runCached(url: URL, complete: () => boolean = () => true, useCache = true): Record<string, unknown> {
  const file = fileURLToPath(url);
  const bytes = readFileSync(file);
  const hash = createHash('sha256').update(bytes).digest();
  const cacheFile = `${file}.cache`;
  let cachedData: Buffer | undefined;
  let cachedComplete = false;
  if (useCache) {
    try {
      const data = readFileSync(cacheFile);
      if (data.length > HEADER_BYTES && hash.equals(data.subarray(0, HASH_BYTES))) {
        cachedData = data.subarray(HEADER_BYTES);
        cachedComplete = data[HASH_BYTES] === 1;
      }
    } catch { /* no cache yet */ }
  }
  // the wrapper keeps the first line's text where it is: stack traces point into `file`
  const source = `(function (exports, require, module, __import_meta_url) {${bytes.toString('utf8')}\n})`;
  const script = new Script(source, { filename: file, ...cachedData ? { cachedData } : {} });
  const usable = cachedData !== undefined && !script.cachedDataRejected;
  if (useCache && (!usable || !cachedComplete) && writable(dirname(file))) {
    savesAtExit++;
    process.once('exit', () => {
      const done = complete();
      if (!usable || done) saveCache(script, cacheFile, hash, done);
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as ScriptBody)(module.exports, createRequire(url), module, url.href);
  return module.exports as Record<string, unknown>;
}

/** Whether a cache can be written next to the script (a read-only install runs without one, and writes none). */
function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** For a worker's stub, once its script runs: tells the main thread whether this thread writes a cache at exit. */
export function announceCacheState(): void {
  const channel = new BroadcastChannel(STATE_CHANNEL);
  channel.postMessage(savesAtExit > 0);
  channel.close();
}

/**
 * Main thread, before it starts a worker (so that no announcement is missed): returns
 * `settle(workers)`, to call once this thread's scripts run. When neither this thread
 * nor the `workers` announced threads writes a cache at exit, `raise` runs (V8's
 * tier-up budget, tier-up.ts); otherwise the run keeps V8's flags, and the caches it
 * writes are valid for the next run, which reads them before any change. settle's
 * promise tells whether `raise` ran; it stays pending while a worker has not announced.
 */
export function raiseTierUpBudgetWhenSettled(raise: () => void = raiseTierUpBudget): (workers: number) => Promise<boolean> {
  const channel = new BroadcastChannel(STATE_CHANNEL);
  channel.unref(); // a worker that never announces does not hold the process
  let heard = 0;
  let saves = false;
  let expected = -1;
  let decided: (raised: boolean) => void = () => {};
  const decision = new Promise<boolean>((resolve) => { decided = resolve; });
  const check = () => {
    if (expected < 0 || heard < expected) return;
    expected = -1; // decided once
    channel.close();
    const clean = !saves && savesAtExit === 0;
    if (clean) raise();
    decided(clean);
  };
  channel.onmessage = (e) => {
    heard++;
    saves ||= (e as MessageEvent).data !== false;
    check();
  };
  return (workers) => {
    expected = workers;
    check();
    return decision;
  };
}

/** Writes the header and V8's data to a temporary file, then renames it over `cacheFile`. */
function saveCache(script: Script, cacheFile: string, hash: Buffer, complete: boolean): void {
  const tmp = `${cacheFile}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'wx'); // first, so a read-only install costs no serialisation
  } catch {
    return;
  }
  let written = false;
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    hash.copy(header);
    header[HASH_BYTES] = complete ? 1 : 0;
    writeFileSync(fd, header);
    writeFileSync(fd, script.createCachedData());
    written = true;
  } catch { /* disk full or the like: no cache */ }
  try {
    closeSync(fd);
    if (written) renameSync(tmp, cacheFile);
    else unlinkSync(tmp);
  } catch {
    try { unlinkSync(tmp); } catch { /* gone */ }
  }
}
