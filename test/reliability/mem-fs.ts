// An in-memory filesystem backend for the property tests: thousands of hostile
// files per second without touching the disk, and a record of every path the
// code under test touched and of any read request past the end of a file.
import { posix } from 'node:path';
import type { Stats } from 'node:fs';
import type { FsBackend } from '../../src/io/fs.js';

function enoent(syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory, ${syscall} '${path}'`), { code: 'ENOENT', syscall, path });
}

function stats(size: number, dir: boolean): Stats {
  return { size, isFile: () => !dir, isDirectory: () => dir, isSymbolicLink: () => false } as unknown as Stats;
}

/** The chunk size of ReadHandle.readToEnd (files whose size is not known in advance). */
export const READ_TO_END_CHUNK = 65536;

export class MemFs implements FsBackend {
  readonly files = new Map<string, Uint8Array>();
  /** Every path passed to open/stat/exists/readdir/realpath. */
  readonly touched: string[] = [];
  /**
   * Read requests past the end of the file (a reader that trusted a claimed offset
   * or size), except the fixed-size chunks that read a file to its end.
   */
  readonly outOfBounds: string[] = [];
  /** The largest single read request, in bytes (bounds what a reader allocates for it). */
  maxRequest = 0;
  #fds = new Map<number, string>();
  #next = 100;

  set(path: string, data: Uint8Array | string): void {
    this.files.set(path, typeof data === 'string' ? new TextEncoder().encode(data) : data);
  }

  reset(): void {
    this.files.clear();
    this.touched.length = 0;
    this.outOfBounds.length = 0;
    this.maxRequest = 0;
    this.#fds.clear();
  }

  #isDir(path: string): boolean {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    for (const k of this.files.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  openSync(path: string, flags: string): number {
    this.touched.push(path);
    if (flags !== 'r') throw Object.assign(new Error(`EROFS: read-only, open '${path}'`), { code: 'EROFS' });
    if (!this.files.has(path)) throw enoent('open', path);
    const fd = this.#next++;
    this.#fds.set(fd, path);
    return fd;
  }

  closeSync(fd: number): void {
    this.#fds.delete(fd);
  }

  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
    const path = this.#fds.get(fd);
    if (path === undefined) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
    const data = this.files.get(path)!;
    this.maxRequest = Math.max(this.maxRequest, length);
    if (position < 0 || position > data.length || (position + length > data.length && length !== READ_TO_END_CHUNK)) {
      this.outOfBounds.push(`${path}: ${length} bytes at ${position} of ${data.length}`);
    }
    const n = Math.max(0, Math.min(length, data.length - position));
    buf.set(data.subarray(position, position + n), offset);
    return n;
  }

  writeSync(): number {
    throw Object.assign(new Error('EROFS'), { code: 'EROFS' });
  }

  fsyncSync(): void {}

  fstatSync(fd: number): Stats {
    const path = this.#fds.get(fd);
    if (path === undefined) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
    return stats(this.files.get(path)!.length, false);
  }

  statSync(path: string): Stats {
    this.touched.push(path);
    const f = this.files.get(path);
    if (f) return stats(f.length, false);
    if (this.#isDir(path)) return stats(0, true);
    throw enoent('stat', path);
  }

  lstatSync(path: string): Stats {
    return this.statSync(path);
  }

  existsSync(path: string): boolean {
    this.touched.push(path);
    return this.files.has(path) || this.#isDir(path);
  }

  mkdirSync(): unknown {
    throw Object.assign(new Error('EROFS'), { code: 'EROFS' });
  }

  readdirSync(path: string): string[] {
    this.touched.push(path);
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = new Set<string>();
    for (const k of this.files.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]!);
    return [...names].sort();
  }

  renameSync(): void {
    throw Object.assign(new Error('EROFS'), { code: 'EROFS' });
  }

  rmSync(): void {
    throw Object.assign(new Error('EROFS'), { code: 'EROFS' });
  }

  realpathSync(path: string): string {
    this.touched.push(path);
    return posix.normalize(path);
  }
}
