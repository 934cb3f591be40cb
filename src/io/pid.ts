// Lock files record the writer's pid; a lock whose process is gone is stale.
import { IoError } from '../errors.js';
import { WriteHandle, getFsBackend, readText, removeTree } from './fs.js';

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How long a lock file without a PID in it counts as being created by a live process. */
const FRESH_LOCK_MS = 10_000;

/** Lock files this process holds (a second holder in the same process must not take over). */
const heldLocks = new Set<string>();

function lockAgeMs(path: string): number {
  try {
    return Date.now() - getFsBackend().statSync(path).mtimeMs;
  } catch {
    return Infinity; // gone meanwhile: nothing to wait for
  }
}

export interface PidLockOptions {
  /**
   * The error for a lock someone else holds: `pid` is the live owner (process.pid
   * when another part of this process holds it), null when a process is creating
   * the lock right now and has not written its pid yet.
   */
  busy(pid: number | null): Error;
  /** Hint for failures creating or writing the lock file (default: the generic hint of the error code). */
  hint?: string;
}

/**
 * Creates `path` holding this process's pid, taking over a stale lock (its
 * process is gone, or it has no pid and is old); throws `busy(...)` when a live
 * process holds it. Returns the release function (calling it again does nothing).
 */
export function acquirePidLock(path: string, opts: PidLockOptions): () => void {
  if (heldLocks.has(path)) throw opts.busy(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    let h: WriteHandle;
    try {
      h = new WriteHandle(path, 'wx', opts.hint);
    } catch (e) {
      if ((e as IoError).code !== 'EEXIST') throw e;
      let owner = NaN;
      try { owner = parseInt(readText(path), 10); } catch { /* unreadable: judged by its age below */ }
      const hasPid = Number.isSafeInteger(owner) && owner > 0; // kill(0) or kill(-n) would signal a process group
      if (hasPid && owner !== process.pid && pidAlive(owner)) throw opts.busy(owner);
      // A lock without a readable PID may belong to a process that created it an
      // instant ago and is writing its PID: only an old one is stale.
      if (!hasPid && lockAgeMs(path) < FRESH_LOCK_MS) throw opts.busy(null);
      removeTree(path); // stale lock of a process that no longer runs
      continue;
    }
    try {
      h.write(new TextEncoder().encode(`${process.pid}\n`));
      h.close(false);
    } catch (e) {
      // opened but not written: an empty lock would block nobody but confuse the next run
      h.abandon();
      try { removeTree(path); } catch { /* best effort */ }
      throw e;
    }
    heldLocks.add(path);
    let held = true;
    return () => {
      if (!held) return; // a second release must not remove a lock taken since
      held = false;
      heldLocks.delete(path);
      try { removeTree(path); } catch { /* best effort: the lock is stale once this process ends */ }
    };
  }
  // removed as stale twice and recreated in between: another process is taking it right now
  throw opts.busy(null);
}
