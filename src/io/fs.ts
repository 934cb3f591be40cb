// The only module that touches the disk. Everything else goes through `disk`,
// so faults (ENOSPC, EIO, short reads) can be injected in one place.
import * as nodeFs from 'node:fs';
import { IoError } from '../errors.js';

/** The subset of node:fs the converter uses (sync: conversion is sequential I/O). */
export interface FsBackend {
  openSync(path: string, flags: string): number;
  closeSync(fd: number): void;
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number | null): number;
  fsyncSync(fd: number): void;
  /** fsync on the thread pool (a backend without it flushes with fsyncSync instead). */
  fsync?(fd: number, done: (err: Error | null) => void): void;
  fstatSync(fd: number): nodeFs.Stats;
  statSync(path: string): nodeFs.Stats;
  lstatSync(path: string): nodeFs.Stats;
  existsSync(path: string): boolean;
  mkdirSync(path: string, opts: { recursive: boolean }): unknown;
  readdirSync(path: string): string[];
  renameSync(from: string, to: string): void;
  rmSync(path: string, opts: { recursive: boolean; force: boolean }): void;
  realpathSync(path: string): string;
}

const nodeBackend: FsBackend = {
  openSync: (p, f) => nodeFs.openSync(p, f),
  closeSync: (fd) => nodeFs.closeSync(fd),
  readSync: (fd, b, o, l, p) => nodeFs.readSync(fd, b, o, l, p),
  writeSync: (fd, b, o, l, p) => nodeFs.writeSync(fd, b, o, l, p),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  fsync: (fd, done) => nodeFs.fsync(fd, done),
  fstatSync: (fd) => nodeFs.fstatSync(fd),
  statSync: (p) => nodeFs.statSync(p),
  lstatSync: (p) => nodeFs.lstatSync(p),
  existsSync: (p) => nodeFs.existsSync(p),
  mkdirSync: (p, o) => nodeFs.mkdirSync(p, o),
  readdirSync: (p) => nodeFs.readdirSync(p),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  rmSync: (p, o) => nodeFs.rmSync(p, o),
  realpathSync: (p) => nodeFs.realpathSync(p),
};

let backend: FsBackend = nodeBackend;

/** Replaces the filesystem backend (tests inject faults); returns the previous one. */
export function setFsBackend(next: FsBackend | null): FsBackend {
  const prev = backend;
  backend = next ?? nodeBackend;
  return prev;
}

export function getFsBackend(): FsBackend {
  return backend;
}

const CAUSES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EIO: 'input/output error',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  EDQUOT: 'disk quota exceeded',
};

const HINTS: Record<string, string> = {
  ENOSPC: 'free some disk space (the output needs room for every array) and run again',
  EACCES: 'check the permissions of the folder, or choose another --output',
  EPERM: 'check the permissions of the folder, or choose another --output',
  EROFS: 'choose an --output on a writable file system',
  EIO: 'the disk reported a hardware or network error; check the device and run again',
  EDQUOT: 'free some space within your quota and run again',
  EMFILE: 'too many files are open: raise the limit (ulimit -n) and run again',
  ENOTDIR: 'a part of the path is a file, not a folder: check the path',
};

/** Hints when reading (the inputs): the user fixes the file, not --output. */
const READ_HINTS: Record<string, string> = {
  EACCES: 'make the file readable for your user (check its permissions and ownership) and run again',
  EPERM: 'make the file readable for your user (check its permissions and ownership) and run again',
  ENOENT: 'check the path: the file is not there',
  EISDIR: 'the path is a folder: point at the file inside it',
};

const READ_ACTIONS = new Set(['open', 'read', 'stat', 'list']);

/**
 * The IoError for a failed system call: "cannot <action> <path>: <cause> (<CODE>)"
 * plus a hint for the codes a user can fix. The system error is kept as `cause`
 * (reported with --debug).
 */
export function toIoError(err: unknown, action: string, path: string, hintOverride?: string): IoError {
  if (err instanceof IoError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const cause = (code && CAUSES[code]) ?? e?.message ?? String(err);
  const hint = hintOverride ?? (code ? (READ_ACTIONS.has(action) ? READ_HINTS[code] : undefined) ?? HINTS[code] : undefined);
  const io = new IoError(`cannot ${action} ${path}: ${cause}${code ? ` (${code})` : ''}`, path, code, hint);
  Object.defineProperty(io, 'cause', { value: err, enumerable: false, writable: true, configurable: true });
  return io;
}

const wrap = toIoError;

/** A write that made no progress: the system accepted zero bytes. */
function shortWrite(path: string, wanted: number, at: number | null, hint?: string): IoError {
  return new IoError(
    `cannot write ${path}: the system accepted no more bytes (short write of ${wanted} bytes${at === null ? '' : ` at offset ${at}`})`,
    path, 'ESHORTWRITE', hint ?? 'the disk is probably full or the file system failed; free some space, check the device and run again');
}

/** A file opened for positional reads. */
export class ReadHandle {
  readonly path: string;
  readonly size: number;
  #fd: number;

  constructor(path: string) {
    this.path = path;
    let fd = -1;
    try {
      fd = backend.openSync(path, 'r');
      const st = backend.fstatSync(fd);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      this.size = st.size;
      this.#fd = fd;
    } catch (err) {
      if (fd >= 0) try { backend.closeSync(fd); } catch { /* already failing */ }
      throw wrap(err, 'open', path);
    }
  }

  /** Reads exactly `length` bytes at `position` into `buf` (or a new buffer); short reads are errors. */
  readAt(position: number, length: number, buf?: Uint8Array): Uint8Array {
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0 || (buf && buf.length < length)) {
      throw new RangeError(`invalid read of ${length} bytes at offset ${position} from ${this.path}`);
    }
    // Checked before allocating: a size claimed by a file's own header never
    // allocates (or reads) more than the file holds.
    if (position + length > this.size) {
      throw new IoError(
        `cannot read ${this.path}: unexpected end of file (wanted ${length} bytes at offset ${position}, the file has ${this.size})`,
        this.path, 'ESHORT', 'the file is shorter than its contents claim: it is probably truncated (an interrupted download or copy); fetch it again');
    }
    const out = buf ? buf.subarray(0, length) : new Uint8Array(length);
    let done = 0;
    try {
      while (done < length) {
        const n = backend.readSync(this.#fd, out, done, length - done, position + done);
        if (n <= 0) break;
        done += n;
      }
    } catch (err) {
      throw wrap(err, 'read', this.path);
    }
    if (done < length) {
      throw new IoError(
        `cannot read ${this.path}: the file ended early (got ${done} of ${length} bytes at offset ${position}; it was ${this.size} bytes when opened)`,
        this.path, 'ESHORT', 'the file shrank while being read (another program is changing it) or the device failed; make sure nothing else writes to it and run again');
    }
    return out;
  }

  /** Reads from the start until end of file (for files whose size stat reports as 0, like /proc files). */
  readToEnd(): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const chunk = new Uint8Array(65536);
        const n = backend.readSync(this.#fd, chunk, 0, chunk.length, total);
        if (n <= 0) break;
        parts.push(chunk.subarray(0, n));
        total += n;
      }
    } catch (err) {
      throw wrap(err, 'read', this.path);
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  close(): void {
    if (this.#fd >= 0) {
      try { backend.closeSync(this.#fd); } catch { /* closing a read handle cannot lose data */ }
      this.#fd = -1;
    }
  }
}

/** How a WriteHandle opens its file: truncate, append, or create a new one (fails with EEXIST). */
export type WriteFlags = 'w' | 'a' | 'wx';

/**
 * Flushes handed off by {@link WriteHandle.close}: each runs on the thread pool
 * while the caller goes on computing; {@link settle} waits for all of them and
 * throws the first failure. A conversion settles before it commits.
 */
export class SyncQueue {
  #pending: Promise<IoError | null>[] = [];

  add(flush: Promise<IoError | null>): void {
    this.#pending.push(flush);
  }

  /** Waits for every flush started so far; throws the first that failed. */
  async settle(): Promise<void> {
    const results = await Promise.all(this.#pending.splice(0));
    const failed = results.find((e) => e !== null);
    if (failed) throw failed;
  }
}

/** A file opened for sequential writes, fsynced on close. */
export class WriteHandle {
  readonly path: string;
  #fd: number;
  #written = 0;
  /** Replaces the generic per-error hints (for files outside --output, like the download cache). */
  readonly #hint: string | undefined;

  constructor(path: string, flags: WriteFlags = 'w', hint?: string) {
    this.path = path;
    this.#hint = hint;
    try {
      this.#fd = backend.openSync(path, flags);
    } catch (err) {
      throw wrap(err, 'create', path, hint);
    }
  }

  get written(): number {
    return this.#written;
  }

  /** Appends `data` at the file position (the end, for 'a'). */
  write(data: Uint8Array): void {
    this.#writeAll(data, null);
    this.#written += data.length;
  }

  /** Writes `data` at an absolute position (used to fill in a header after the payload). */
  writeAt(position: number, data: Uint8Array): void {
    this.#writeAll(data, position);
  }

  /** Writes every byte, looping over partial writes; a write of 0 bytes is an error, not a retry. */
  #writeAll(data: Uint8Array, position: number | null): void {
    let done = 0;
    try {
      while (done < data.length) {
        const at = position === null ? null : position + done;
        const n = backend.writeSync(this.#fd, data, done, data.length - done, at);
        if (n <= 0) throw shortWrite(this.path, data.length - done, at, this.#hint);
        done += n;
      }
    } catch (err) {
      throw wrap(err, 'write', this.path, this.#hint);
    }
  }

  /**
   * Flushes to stable storage and closes. With a SyncQueue the flush and the close
   * run later, off the main thread; their failure is reported by the queue's settle().
   */
  close(sync: boolean | SyncQueue = true): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    const be = backend;
    if (sync instanceof SyncQueue && be.fsync) {
      sync.add(new Promise((resolve) => be.fsync!(fd, (err) => resolve(this.#closeFlushed(be, fd, err)))));
      return;
    }
    let flushErr: unknown = null;
    if (sync) try { be.fsyncSync(fd); } catch (err) { flushErr = err; }
    const failed = this.#closeFlushed(be, fd, flushErr);
    if (failed) throw failed;
  }

  /**
   * Closes `fd` once its flush ended (`flushErr`: how it failed); the flush failure,
   * else the close failure. Never closed twice: after a failed close the descriptor
   * is gone, and its number may be reused.
   */
  #closeFlushed(be: FsBackend, fd: number, flushErr: unknown): IoError | null {
    let failed = flushErr ? wrap(flushErr, 'flush to disk', this.path, this.#hint) : null;
    try { be.closeSync(fd); } catch (err) { failed ??= wrap(err, 'write', this.path, this.#hint); }
    return failed;
  }

  /** Closes without flushing (after a failure). */
  abandon(): void {
    if (this.#fd < 0) return;
    try { backend.closeSync(this.#fd); } catch { /* the file is being discarded */ }
    this.#fd = -1;
  }
}

export function readFile(path: string): Uint8Array {
  const h = new ReadHandle(path);
  try {
    // procfs and similar report size 0 but have content: read those to the end
    return h.size === 0 ? h.readToEnd() : h.readAt(0, h.size);
  } finally {
    h.close();
  }
}

export function readText(path: string): string {
  return new TextDecoder('utf-8').decode(readFile(path));
}

/** Writes and flushes `data`; with `queue` the flush runs off the main thread (see WriteHandle.close). */
export function writeFile(path: string, data: Uint8Array | string, queue?: SyncQueue): void {
  const h = new WriteHandle(path);
  try {
    h.write(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    h.close(queue);
  } catch (err) {
    h.abandon();
    throw err;
  }
}

/** Python's Path.exists(): any error (permissions, bad path) counts as missing. */
export function exists(path: string): boolean {
  try {
    return backend.existsSync(path);
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return backend.statSync(path).isFile();
  } catch {
    return false;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return backend.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function fileSize(path: string): number {
  try {
    return backend.statSync(path).size;
  } catch (err) {
    throw wrap(err, 'stat', path);
  }
}

export function mkdirp(path: string): void {
  try {
    backend.mkdirSync(path, { recursive: true });
  } catch (err) {
    throw wrap(err, 'create folder', path);
  }
}

export function listDir(path: string): string[] {
  try {
    return backend.readdirSync(path);
  } catch (err) {
    throw wrap(err, 'list', path);
  }
}

export function rename(from: string, to: string): void {
  try {
    backend.renameSync(from, to);
  } catch (err) {
    throw wrap(err, 'rename', `${from} -> ${to}`);
  }
}

export function removeTree(path: string): void {
  try {
    backend.rmSync(path, { recursive: true, force: true });
  } catch (err) {
    throw wrap(err, 'remove', path);
  }
}

export function realpath(path: string): string {
  return backend.realpathSync(path);
}
