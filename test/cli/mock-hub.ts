// A small Hugging Face Hub on 127.0.0.1 for the tests: the endpoints
// @huggingface/hub calls (model info, the recursive tree listing, and
// `resolve/REV/path` downloads with Range support), private repositories
// (401 without the token), 404s with the Hub's X-Error-Code header, and faults:
// a connection dropped after N bytes of a file, or corrupted bytes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface MockRepo {
  files: Record<string, Uint8Array>;
  /** Paths served as LFS files (oid = sha256); default: *.safetensors. */
  lfs?: (path: string) => boolean;
  /** Requires `Authorization: Bearer <token>` (401 otherwise). */
  private?: boolean;
  sha?: string;
}

export interface Fault {
  path: string;
  /** Drop the connection after this many body bytes (on data requests, not the 0-0 probe). */
  dropAfter?: number;
  /** Flip one byte of the body at this file offset. */
  corruptAt?: number;
  /** How many requests the fault applies to (default 1). */
  times?: number;
}

export interface RequestLog {
  method: string;
  url: string;
  range: string | null;
  auth: string | null;
}

export interface MockHub {
  url: string;
  requests: RequestLog[];
  faults: Fault[];
  close(): Promise<void>;
}

function gitOid(data: Uint8Array): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startMockHub(repos: Record<string, MockRepo>, opts: { token?: string } = {}): Promise<MockHub> {
  const requests: RequestLog[] = [];
  const faults: Fault[] = [];
  const shaOf = (name: string) => repos[name]!.sha ?? createHash('sha1').update(name).digest('hex');
  const isLfs = (repo: MockRepo, p: string) => (repo.lfs ? repo.lfs(p) : p.endsWith('.safetensors'));

  const findRepo = (parts: string[]): [string, string[]] | null => {
    for (const n of [2, 1]) {
      const name = parts.slice(0, n).join('/');
      if (repos[name]) return [name, parts.slice(n)];
    }
    return null;
  };
  const authorized = (repo: MockRepo, req: IncomingMessage) =>
    !repo.private || req.headers.authorization === `Bearer ${opts.token}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? 'GET', url: url.pathname, range: (req.headers.range as string) ?? null, auth: (req.headers.authorization as string) ?? null });
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const api = parts[0] === 'api' && parts[1] === 'models';
    const found = findRepo(api ? parts.slice(2) : parts);
    if (!found) {
      json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      return;
    }
    const [name, rest] = found;
    const repo = repos[name]!;
    if (!authorized(repo, req)) {
      json(res, 401, { error: 'Invalid username or password.' }, { 'X-Error-Code': 'RepoNotFound' });
      return;
    }
    const sha = shaOf(name);
    const revOk = (rev: string) => rev === 'main' || rev === 'HEAD' || rev === sha;
    if (api && rest[0] === 'revision') {
      if (!revOk(rest[1] ?? '')) { json(res, 404, { error: `Invalid rev id: ${rest[1]}` }, { 'X-Error-Code': 'RevisionNotFound' }); return; }
      json(res, 200, { _id: `id-${name}`, id: name, sha, private: !!repo.private, downloads: 0, likes: 0, gated: false, lastModified: '2025-01-01T00:00:00.000Z' });
      return;
    }
    if (api && rest[0] === 'tree') {
      if (!revOk(rest[1] ?? '')) { json(res, 404, { error: `Invalid rev id: ${rest[1]}` }, { 'X-Error-Code': 'RevisionNotFound' }); return; }
      const dirs = new Set<string>();
      const entries: unknown[] = [];
      for (const [p, data] of Object.entries(repo.files)) {
        const segs = p.split('/');
        for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join('/'));
        const e: Record<string, unknown> = { type: 'file', path: p, size: data.length, oid: gitOid(data) };
        if (isLfs(repo, p)) e.lfs = { oid: sha256(data), size: data.length, pointerSize: 134 };
        entries.push(e);
      }
      for (const d of dirs) entries.push({ type: 'directory', path: d, size: 0, oid: gitOid(new TextEncoder().encode(d)) });
      json(res, 200, entries);
      return;
    }
    if (!api && rest[0] === 'resolve') {
      if (!revOk(rest[1] ?? '')) { json(res, 404, { error: 'Invalid rev id' }, { 'X-Error-Code': 'RevisionNotFound' }); return; }
      const path = rest.slice(2).join('/');
      const data = repo.files[path];
      if (!data) { json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' }); return; }
      const lfs = isLfs(repo, path);
      const etag = `"${lfs ? sha256(data) : gitOid(data)}"`;
      const headers: Record<string, string> = { ETag: etag, 'X-Repo-Commit': sha, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
      if (lfs) headers['X-Linked-ETag'] = etag;
      let start = 0;
      let end = data.length - 1;
      const range = req.headers.range;
      let status = 200;
      if (range) {
        const m = /^bytes=(\d+)-(\d*)$/.exec(range);
        if (!m || Number(m[1]) >= data.length) {
          res.writeHead(416, { 'Content-Range': `bytes */${data.length}` });
          res.end();
          return;
        }
        start = Number(m[1]);
        end = m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${data.length}`;
      }
      let body = data.subarray(start, end + 1);
      const probe = range === 'bytes=0-0';
      const fault = probe ? undefined : faults.find((f) => f.path === path && (f.times ?? 1) > 0);
      if (fault) fault.times = (fault.times ?? 1) - 1;
      if (fault?.corruptAt !== undefined && fault.corruptAt >= start && fault.corruptAt <= end) {
        body = Uint8Array.from(body);
        body[fault.corruptAt - start] = body[fault.corruptAt - start]! ^ 0xff;
      }
      headers['Content-Length'] = String(body.length);
      res.writeHead(status, headers);
      if (req.method === 'HEAD') { res.end(); return; }
      if (fault?.dropAfter !== undefined) {
        const n = Math.max(0, fault.dropAfter - start);
        res.write(body.subarray(0, n), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(body);
      return;
    }
    json(res, 404, { error: 'Not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faults,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
