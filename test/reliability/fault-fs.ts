// A filesystem backend that injects faults into the converter through the one
// adapter (setFsBackend): ENOSPC, EACCES, EIO, partial reads/writes (which the
// adapter must absorb) and zero-byte reads/writes (truncation, a full disk that
// reports no error), from the n-th call of one operation on matching paths on.
import type { FsBackend } from '../../src/io/fs.js';

export type FaultKind = 'ENOSPC' | 'EACCES' | 'EIO' | 'partial' | 'zero';
export type FaultOp = 'open-read' | 'open-write' | 'read' | 'write' | 'fsync' | 'close' | 'rename' | 'mkdir' | 'readdir' | 'rm';

export interface Fault {
  op: FaultOp;
  /** Matches the path (for rename: the source path). */
  path: RegExp;
  kind: FaultKind;
  /** The first matching call that fails (0-based); the fault persists for every later matching call, as a full disk or a bad sector does. */
  nth?: number;
}

export interface FiredFault {
  op: FaultOp;
  path: string;
  kind: FaultKind;
}

const ERRNO: Record<string, number> = { ENOSPC: -28, EACCES: -13, EIO: -5 };

function sysError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated fault, ${syscall} '${path}'`), { code, errno: ERRNO[code], syscall, path });
}

export class FaultyFs implements FsBackend {
  readonly fired: FiredFault[] = [];
  readonly #base: FsBackend;
  readonly #faults: Fault[];
  readonly #seen = new Map<Fault, number>();
  readonly #fds = new Map<number, string>();

  readonly #skipSync: boolean;

  /** `skipSync`: fsync does nothing unless a fault targets it (keeps a table of runs fast). */
  constructor(base: FsBackend, faults: Fault[], opts: { skipSync?: boolean } = {}) {
    this.#base = base;
    this.#faults = faults;
    this.#skipSync = !!opts.skipSync;
  }

  /** The fault that applies to this call, if any (counts matching calls). */
  #hit(op: FaultOp, path: string): Fault | undefined {
    for (const f of this.#faults) {
      if (f.op !== op || !f.path.test(path)) continue;
      const n = this.#seen.get(f) ?? 0;
      this.#seen.set(f, n + 1);
      if (n >= (f.nth ?? 0)) {
        if (!this.fired.some((x) => x.op === op && x.path === path)) this.fired.push({ op, path, kind: f.kind });
        return f;
      }
    }
    return undefined;
  }

  openSync(path: string, flags: string): number {
    const f = this.#hit(flags === 'r' ? 'open-read' : 'open-write', path);
    if (f && f.kind !== 'partial' && f.kind !== 'zero') throw sysError(f.kind, 'open', path);
    const fd = this.#base.openSync(path, flags);
    this.#fds.set(fd, path);
    return fd;
  }

  closeSync(fd: number): void {
    const path = this.#fds.get(fd) ?? `fd ${fd}`;
    this.#fds.delete(fd);
    const f = this.#hit('close', path);
    this.#base.closeSync(fd); // the descriptor is released even when close reports an error
    if (f && (f.kind === 'EIO' || f.kind === 'ENOSPC')) throw sysError(f.kind, 'close', path);
  }

  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
    const path = this.#fds.get(fd) ?? `fd ${fd}`;
    const f = this.#hit('read', path);
    if (f?.kind === 'zero') return 0;
    if (f?.kind === 'partial') return this.#base.readSync(fd, buf, offset, Math.max(1, length >> 1), position);
    if (f) throw sysError(f.kind, 'read', path);
    return this.#base.readSync(fd, buf, offset, length, position);
  }

  writeSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number | null): number {
    const path = this.#fds.get(fd) ?? `fd ${fd}`;
    const f = this.#hit('write', path);
    if (f?.kind === 'zero') return 0;
    if (f?.kind === 'partial') return this.#base.writeSync(fd, buf, offset, Math.max(1, length >> 1), position);
    if (f) throw sysError(f.kind, 'write', path);
    return this.#base.writeSync(fd, buf, offset, length, position);
  }

  fsyncSync(fd: number): void {
    const path = this.#fds.get(fd) ?? `fd ${fd}`;
    const f = this.#hit('fsync', path);
    if (f && f.kind !== 'partial' && f.kind !== 'zero') throw sysError(f.kind, 'fsync', path);
    if (!this.#skipSync) this.#base.fsyncSync(fd);
  }

  /** The thread-pool fsync: the same faults, reported through the callback. */
  fsync(fd: number, done: (err: Error | null) => void): void {
    const path = this.#fds.get(fd) ?? `fd ${fd}`;
    const f = this.#hit('fsync', path);
    if (f && f.kind !== 'partial' && f.kind !== 'zero') {
      setImmediate(() => done(sysError(f.kind, 'fsync', path)));
      return;
    }
    if (this.#skipSync || !this.#base.fsync) setImmediate(() => done(null));
    else this.#base.fsync(fd, done);
  }

  mkdirSync(path: string, opts: { recursive: boolean }): unknown {
    const f = this.#hit('mkdir', path);
    if (f && f.kind !== 'partial' && f.kind !== 'zero') throw sysError(f.kind, 'mkdir', path);
    return this.#base.mkdirSync(path, opts);
  }

  readdirSync(path: string): string[] {
    const f = this.#hit('readdir', path);
    if (f && f.kind !== 'partial' && f.kind !== 'zero') throw sysError(f.kind, 'scandir', path);
    return this.#base.readdirSync(path);
  }

  renameSync(from: string, to: string): void {
    const f = this.#hit('rename', from);
    if (f && f.kind !== 'partial' && f.kind !== 'zero') throw sysError(f.kind, 'rename', from);
    this.#base.renameSync(from, to);
  }

  rmSync(path: string, opts: { recursive: boolean; force: boolean }): void {
    const f = this.#hit('rm', path);
    if (f && f.kind !== 'partial' && f.kind !== 'zero') throw sysError(f.kind, 'rm', path);
    this.#base.rmSync(path, opts);
  }

  fstatSync(fd: number) { return this.#base.fstatSync(fd); }
  statSync(path: string) { return this.#base.statSync(path); }
  lstatSync(path: string) { return this.#base.lstatSync(path); }
  existsSync(path: string) { return this.#base.existsSync(path); }
  realpathSync(path: string) { return this.#base.realpathSync(path); }
}
