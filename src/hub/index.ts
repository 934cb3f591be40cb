// `--source hf:ORG/MODEL[@REV]`: resolve the revision to a commit, list the
// repository, pick the files the conversion reads (select.ts), and download
// them resumably into `<cache>/models--ORG--MODEL/snapshots/<commit>/`, which
// then serves as the conversion's source folder (same layout as the repository).
import { dirname, join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { downloadFile, fileDownloadInfo, listFiles, modelInfo } from '@huggingface/hub';
import { WriteHandle, mkdirp, readFile, readText, removeTree, writeFile } from '../io/fs.js';
import { HubError, hubStatusError } from './errors.js';
import { fileParams, hubFetch, downloadToCache, type DownloadEvent, type HubContext, type Totals } from './download.js';
import { selectFiles, shardsOfIndex, type RemoteFile, type Selection } from './select.js';
import { cacheRoot, hubEndpoint, hubToken, parseHubSource, repoFolder } from './source.js';

export interface FetchOptions {
  env: Record<string, string | undefined>;
  cacheDir?: string;
  originalSubdir?: string | null;
  onProgress?: (e: DownloadEvent) => void;
  /** Say what is happening (one line each). */
  onInfo?: (message: string) => void;
  fetch?: typeof fetch;
  retries?: number;
  retryDelayMs?: number;
  /**
   * For --dry-run: download config, index and tokenizer as usual, but only the
   * header of each safetensors file, into a temporary folder (`dir`) where the
   * weights are sparse stand-ins of their full size. The caller removes `dir`
   * (FetchedCheckpoint.cleanup); nothing partial ever enters the cache.
   */
  headersOnly?: boolean;
}

export interface FetchedCheckpoint {
  /** The snapshot folder: use it as the conversion's source. */
  dir: string;
  repo: string;
  revision: string;
  commit: string;
  files: { path: string; size: number }[];
  /** Bytes fetched over the network in this run (the rest came from the cache). */
  downloaded: number;
  /** Removes the temporary folder of a headersOnly fetch (a no-op otherwise). */
  cleanup(): void;
}

/** Writes `header` (the 8-byte length and the JSON) and makes the file `size` bytes long without writing the rest. */
function writeSparse(path: string, header: Uint8Array, size: number): void {
  mkdirp(dirname(path));
  const h = new WriteHandle(path);
  try {
    h.write(header);
    if (size > header.length) h.writeAt(size - 1, new Uint8Array(1));
    h.close(false);
  } catch (e) {
    h.abandon();
    throw e;
  }
}

async function fetchHeader(ctx: HubContext, file: RemoteFile, what: string): Promise<Uint8Array> {
  const info = await fileDownloadInfo({ ...fileParams(ctx, file.path), fetch: hubFetch(ctx, what) });
  if (!info) throw hubStatusError(404, what, ctx.endpoint, ctx.token !== undefined);
  const blob = await downloadFile({
    ...fileParams(ctx, file.path), xet: false, downloadInfo: { ...info, xet: undefined }, fetch: hubFetch(ctx, what, true),
  });
  if (!blob || file.size < 8) throw new HubError(`${what}: not a safetensors file (${file.size} bytes)`);
  const len = Number(new DataView(await blob.slice(0, 8).arrayBuffer()).getBigUint64(0, true));
  if (!Number.isSafeInteger(len) || 8 + len > file.size) {
    throw new HubError(`${what}: its safetensors header claims ${len} bytes, more than the file's ${file.size}`, 'the file on the Hub is damaged');
  }
  const out = new Uint8Array(8 + len);
  out.set(new Uint8Array(await blob.slice(0, 8 + len).arrayBuffer()));
  return out;
}

export async function fetchCheckpoint(source: string, o: FetchOptions): Promise<FetchedCheckpoint> {
  const { repo, revision } = parseHubSource(source);
  const endpoint = hubEndpoint(o.env);
  const token = hubToken(o.env);
  if (token !== undefined && !token.startsWith('hf_')) {
    throw new HubError('HF_TOKEN does not hold a Hugging Face access token (they start with "hf_")',
      'create a read token at https://huggingface.co/settings/tokens and export HF_TOKEN=hf_...');
  }
  const base = { fetch: o.fetch ?? globalThis.fetch, endpoint, token };
  const what = `model ${repo}${revision === 'main' ? '' : `@${revision}`}`;
  const auth = token ? { accessToken: token } : {};

  const info = await modelInfo({ name: repo, revision, hubUrl: endpoint, additionalFields: ['sha'], ...auth, fetch: hubFetch(base, what) });
  const sha = typeof (info as { sha?: unknown }).sha === 'string' && /^[0-9a-f]{40}$/.test((info as { sha: string }).sha)
    ? (info as { sha: string }).sha : null;
  const commit = sha ?? revision;

  const files = new Map<string, RemoteFile>();
  for await (const e of listFiles({ repo: { type: 'model', name: repo }, revision: commit, recursive: true, hubUrl: endpoint, ...auth, fetch: hubFetch(base, what) })) {
    if (e.type !== 'file') continue;
    const etag = e.lfs?.oid ?? e.xetHash ?? e.oid ?? '';
    const kind = e.lfs ? 'lfs' : e.xetHash ? 'xet' : 'git';
    files.set(e.path, { path: e.path, size: e.lfs?.size ?? e.size, etag, kind });
  }
  const sel = selectFiles(files, o.originalSubdir ?? null, what);

  const dir = join(cacheRoot(o.cacheDir, o.env), repoFolder(repo), 'snapshots', commit.replace(/[^A-Za-z0-9._-]/g, '_'));
  const ctx: HubContext = {
    ...base, repo, revision: commit, onProgress: o.onProgress, clock: () => performance.now(),
    retries: o.retries ?? 5, retryDelayMs: o.retryDelayMs ?? 500,
  };
  if (o.headersOnly) return headersOnly(ctx, o, { repo, revision, commit, dir, files, sel, what });
  o.onInfo?.(`downloading ${repo}@${commit.slice(0, 12)} into ${dir}`);
  // the index first: it names the shards
  let downloaded = 0;
  let all = [sel.config, sel.weights, ...sel.tokenizers];
  if (sel.isIndex) {
    downloaded += await downloadAll(ctx, files, dir, [sel.weights]);
    const shards = shardsOfIndex(sel.weights, readText(join(dir, sel.weights)), files, what);
    all = [sel.config, ...shards, ...sel.tokenizers];
  }
  downloaded += await downloadAll(ctx, files, dir, all);
  const listed = sel.isIndex ? [...all, sel.weights] : all;
  return { dir, repo, revision, commit, files: sizesOf(files, listed), downloaded, cleanup: () => undefined };
}

/** Downloads `paths` into `dir` as one progress group (file k of n, their total size); returns the bytes fetched. */
async function downloadAll(ctx: HubContext, files: ReadonlyMap<string, RemoteFile>, dir: string, paths: readonly string[]): Promise<number> {
  const totals: Totals = { index: 0, count: paths.length, present: 0, size: paths.reduce((s, p) => s + files.get(p)!.size, 0) };
  let fetched = 0;
  for (const p of paths) {
    totals.index++;
    fetched += await downloadToCache(ctx, files.get(p)!, join(dir, p), totals);
  }
  return fetched;
}

function sizesOf(files: ReadonlyMap<string, RemoteFile>, paths: readonly string[]): { path: string; size: number }[] {
  return paths.map((p) => ({ path: p, size: files.get(p)!.size }));
}

async function headersOnly(ctx: HubContext, o: FetchOptions, r: {
  repo: string; revision: string; commit: string; dir: string; files: Map<string, RemoteFile>; sel: Selection; what: string;
}): Promise<FetchedCheckpoint> {
  const { dir, files, sel, what } = r;
  const small = [sel.config, ...(sel.isIndex ? [sel.weights] : []), ...sel.tokenizers];
  o.onInfo?.(`dry run: fetching ${small.join(', ')} and the safetensors headers of ${r.repo}@${r.commit.slice(0, 12)}`);
  let downloaded = await downloadAll(ctx, files, dir, small);
  const weights = sel.isIndex ? shardsOfIndex(sel.weights, readText(join(dir, sel.weights)), files, what) : [sel.weights];
  const tmp = mkdtempSync(join(tmpdir(), 'sera-dry-run-'));
  try {
    for (const p of small) writeFile(join(tmp, p), readFile(join(dir, p)));
    for (const p of weights) {
      const f = files.get(p)!;
      const header = await fetchHeader(ctx, f, `${r.repo}/${p}`);
      downloaded += header.length;
      writeSparse(join(tmp, p), header, f.size);
    }
  } catch (e) {
    removeTree(tmp);
    throw e;
  }
  return {
    dir: tmp, repo: r.repo, revision: r.revision, commit: r.commit, files: sizesOf(files, [...small, ...weights]),
    downloaded, cleanup: () => removeTree(tmp),
  };
}
