// One file from the Hub into the cache, resumably: bytes are appended to
// `<file>.<etag>.incomplete` as they arrive; after a dropped connection (or a
// new run) the download continues with an HTTP Range request from the bytes
// already on disk. The finished file is checked against the size the Hub lists
// and its content id (sha256 for LFS files, the git blob sha1 otherwise)
// before it is renamed into place, so a cached file is always complete.
import { createHash, type Hash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { downloadFile, fileDownloadInfo } from '@huggingface/hub';
import { ReadHandle, WriteHandle, exists, fileSize, listDir, mkdirp, removeTree, rename } from '../io/fs.js';
import { HubError, hubStatusError } from './errors.js';
import type { RemoteFile } from './select.js';
import { acquirePidLock } from '../io/pid.js';

/** One file of a Hub download (sizes in bytes; `resumedFrom` bytes were already on disk). */
export interface DownloadEvent {
  kind: 'start' | 'data' | 'done' | 'retry';
  file: string;
  fileIndex: number;
  fileCount: number;
  bytes: number;
  size: number;
  resumedFrom: number;
  /** All selected files: bytes present (incl. resumed) and the total. */
  totalBytes: number;
  totalSize: number;
  now: number;
  startedAt: number;
  message?: string;
}

export interface HubContext {
  repo: string;
  /** The resolved commit (or the revision as given when the Hub reports none). */
  revision: string;
  endpoint: string;
  token: string | undefined;
  fetch: typeof fetch;
  onProgress?: (e: DownloadEvent) => void;
  clock: () => number;
  /** Attempts per file after the first (default 5). */
  retries: number;
  /** Delay before the first retry, doubled after each (ms). */
  retryDelayMs: number;
}

/** The repository, file, revision, endpoint and token arguments of @huggingface/hub's file calls. */
export function fileParams(ctx: Pick<HubContext, 'repo' | 'revision' | 'endpoint' | 'token'>, path: string) {
  return { repo: { type: 'model' as const, name: ctx.repo }, path, revision: ctx.revision, hubUrl: ctx.endpoint, ...(ctx.token ? { accessToken: ctx.token } : {}) };
}

/** A request answered 200 to a Range request: the server cannot resume. */
class RangeIgnored extends HubError {}

/**
 * fetch for Hub calls: HTTP errors become HubErrors naming `what`, network
 * failures HubErrors naming the endpoint; with `needRange`, a Range request
 * must be answered 206.
 */
export function hubFetch(ctx: Pick<HubContext, 'fetch' | 'endpoint' | 'token'>, what: string, needRange = false,
  seen?: { error?: unknown }): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    let res: Response;
    try {
      res = await ctx.fetch(input, init);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
      const err = new HubError(`cannot reach the Hub at ${ctx.endpoint}: ${cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e)}`,
        'check the network connection (and HF_ENDPOINT if you use a mirror)');
      if (seen) seen.error = err;
      throw err;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const err = hubStatusError(res.status, what, ctx.endpoint, ctx.token !== undefined);
      if (seen) seen.error = err;
      throw err;
    }
    const range = new Headers(init?.headers).get('Range');
    if (needRange && range && res.status !== 206) {
      await res.body?.cancel().catch(() => undefined);
      const err = new RangeIgnored(`${what}: the server ignored the byte range ${range}`, 'the Hub (or HF_ENDPOINT mirror) must support HTTP Range requests');
      if (seen) seen.error = err;
      throw err;
    }
    return res;
  }) as typeof fetch;
}

/** Hint for failures writing into the download cache: the next run resumes. */
const CACHE_HINT = 'check that the cache folder (--cache-dir) is writable and has room for the download, then run again: the download resumes';

function contentHash(file: RemoteFile): Hash | null {
  if (file.kind === 'lfs' && /^[0-9a-f]{64}$/.test(file.etag)) return createHash('sha256');
  if (file.kind === 'git' && /^[0-9a-f]{40}$/.test(file.etag)) {
    const h = createHash('sha1');
    h.update(`blob ${file.size}\0`);
    return h;
  }
  return null; // xet hashes are not plain digests: the size check still applies
}

function hashExisting(h: Hash | null, path: string, length: number): void {
  if (!h || length === 0) return;
  const f = new ReadHandle(path);
  try {
    const step = 8 << 20;
    for (let off = 0; off < length; off += step) h.update(f.readAt(off, Math.min(step, length - off)));
  } finally {
    f.close();
  }
}

/** A lock file so two runs never append to one partial download. */
function lockDownload(dest: string): () => void {
  return acquirePidLock(`${dest}.lock`, {
    hint: CACHE_HINT,
    busy: (pid) => new HubError(pid === process.pid ? `another download in this process is writing ${dest}`
      : `another sera-transfer (${pid === null ? 'starting up' : `pid ${pid}`}) is downloading ${dest}`,
    'wait for it to finish, or use another --cache-dir'),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Totals {
  index: number;
  count: number;
  /** Bytes of all selected files already present (updated as this file grows). */
  present: number;
  size: number;
}

/**
 * Makes `dest` hold the file: skips a complete cached copy, resumes a partial
 * one, retries dropped connections. Returns the bytes fetched over the network.
 */
export async function downloadToCache(ctx: HubContext, file: RemoteFile, dest: string, totals: Totals): Promise<number> {
  const what = `${ctx.repo}/${file.path}`;
  const startedAt = ctx.clock();
  const event = (kind: DownloadEvent['kind'], bytes: number, resumedFrom: number, message?: string) => ctx.onProgress?.({
    kind, file: file.path, fileIndex: totals.index, fileCount: totals.count, bytes, size: file.size, resumedFrom,
    totalBytes: totals.present, totalSize: totals.size, now: ctx.clock(), startedAt, ...(message ? { message } : {}),
  });
  if (exists(dest) && fileSize(dest) === file.size) {
    totals.present += file.size;
    event('done', file.size, file.size);
    return 0;
  }
  mkdirp(dirname(dest));
  const unlock = lockDownload(dest);
  try {
    const tag = file.etag.replace(/[^A-Za-z0-9]/g, '').slice(0, 16) || 'noetag';
    const partial = `${dest}.${tag}.incomplete`;
    // partials of another version of this path are stale
    for (const n of listDir(dirname(dest))) {
      if (n.startsWith(basename(dest) + '.') && n.endsWith('.incomplete') && join(dirname(dest), n) !== partial) removeTree(join(dirname(dest), n));
    }
    let offset = exists(partial) ? fileSize(partial) : 0;
    if (offset > file.size) { removeTree(partial); offset = 0; }
    const resumedFrom = offset;
    let hash = contentHash(file);
    hashExisting(hash, partial, offset);
    totals.present += offset;

    const seen: { error?: unknown } = {};
    const info = await fileDownloadInfo({ ...fileParams(ctx, file.path), fetch: hubFetch(ctx, what) });
    if (!info) throw hubStatusError(404, what, ctx.endpoint, ctx.token !== undefined);
    if (info.size !== file.size) {
      throw new HubError(`${what}: the Hub lists ${file.size} bytes but serves ${info.size}`, 'the repository changed during the download; run again');
    }
    event('start', offset, resumedFrom);
    let fetched = 0;
    let attempt = 0;
    while (offset < file.size) {
      const out = new WriteHandle(partial, 'a', CACHE_HINT);
      try {
        seen.error = undefined;
        const blob = await downloadFile({
          ...fileParams(ctx, file.path), xet: false, downloadInfo: { ...info, xet: undefined }, fetch: hubFetch(ctx, what, true, seen),
        });
        if (!blob) throw hubStatusError(404, what, ctx.endpoint, ctx.token !== undefined);
        const reader = (offset > 0 ? blob.slice(offset) : blob).stream().getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const chunk = value.length > file.size - offset ? value.subarray(0, file.size - offset) : value;
          out.write(chunk);
          hash?.update(chunk);
          offset += chunk.length;
          fetched += chunk.length;
          totals.present += chunk.length;
          event('data', offset, resumedFrom);
          if (offset >= file.size) {
            await reader.cancel().catch(() => undefined);
            break;
          }
        }
        if (offset < file.size) throw new Error(`the connection closed after ${offset} of ${file.size} bytes`);
      } catch (e) {
        out.abandon();
        const cause = seen.error ?? e;
        if (cause instanceof HubError && cause.status !== undefined && cause.status < 500 && cause.status !== 408 && cause.status !== 429) throw cause;
        if (cause instanceof RangeIgnored) {
          // cannot resume from this server: start the file over
          totals.present -= offset;
          removeTree(partial);
          offset = 0;
          hash = contentHash(file);
        }
        attempt++;
        const message = cause instanceof Error ? cause.message : String(cause);
        if (attempt > ctx.retries) {
          throw new HubError(`downloading ${what} failed after ${attempt} attempts: ${message}`,
            `run the same command again: the download resumes from the ${offset} bytes kept in ${partial}`);
        }
        event('retry', offset, resumedFrom, message);
        await sleep(ctx.retryDelayMs * 2 ** (attempt - 1));
        continue;
      }
      out.close(true);
    }
    if (fileSize(partial) !== file.size) {
      throw new HubError(`${what}: the download holds ${fileSize(partial)} bytes, expected ${file.size}`, `delete ${partial} and run again`);
    }
    if (hash) {
      const got = hash.digest('hex');
      if (got !== file.etag) {
        removeTree(partial);
        throw new HubError(`${what}: the downloaded bytes do not match the Hub's checksum (expected ${file.etag}, got ${got})`,
          'the partial download was deleted; run again');
      }
    }
    rename(partial, dest);
    event('done', file.size, resumedFrom);
    return fetched;
  } finally {
    unlock();
  }
}
