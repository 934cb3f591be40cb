// Atomic output: everything is written into a hidden sibling folder and renamed
// into place only when complete, under a lock file so two conversions cannot
// mix their files. A failed run leaves any previous package untouched.
import { basename, dirname, join } from 'node:path';
import { getFsBackend, mkdirp, removeTree, rename, exists, isDirectory, listDir, readText, toIoError } from './fs.js';
import { IoError, UsageError } from '../errors.js';
import { pidAlive } from './pid.js';

const PACKAGE_MARKERS = ['sera_manifest.bin', 'sera_state.json'];

/** True when `dir` looks like a package a previous conversion wrote. */
export function isSeraPackage(dir: string): boolean {
  return PACKAGE_MARKERS.some((m) => exists(join(dir, m)));
}

/** Why `final` cannot take a package (null: it can); the dry run reports the same rule. */
export function outputRefusal(final: string, force: boolean): UsageError | null {
  if (!exists(final)) return null;
  if (!isDirectory(final)) return new UsageError(`--output ${final} exists and is not a folder`, 'choose a folder path for --output');
  if (!force && listDir(final).length > 0 && !isSeraPackage(final)) {
    return new UsageError(`--output ${final} is not empty and does not hold a Sera package`,
      'choose an empty or new folder, or pass --force to replace its contents');
  }
  return null;
}

/** How long a lock file without a PID in it counts as being created by a live process. */
const FRESH_LOCK_MS = 10_000;

function lockAgeMs(path: string): number {
  try {
    return Date.now() - getFsBackend().statSync(path).mtimeMs;
  } catch {
    return Infinity; // gone meanwhile: nothing to wait for
  }
}

/** Lock files this process holds (a second conversion in the same process must not take over). */
const heldLocks = new Set<string>();

export interface StageOptions {
  /** Replace a non-empty folder that is not a Sera package. */
  force?: boolean;
}

export class StagedOutput {
  readonly final: string;
  readonly staging: string;
  readonly lockPath: string;
  #locked = false;
  #done = false;

  constructor(final: string, opts: StageOptions = {}) {
    this.final = final;
    const parent = dirname(final);
    const name = basename(final);
    this.staging = join(parent, `.${name}.sera-tmp-${process.pid}`);
    this.lockPath = join(parent, `.${name}.sera-lock`);
    const refused = outputRefusal(final, !!opts.force);
    if (refused) throw refused;
    mkdirp(parent);
    this.#lock();
    try {
      this.#recover(parent, name);
      removeTree(this.staging);
      mkdirp(this.staging);
    } catch (err) {
      this.#unlock();
      throw err;
    }
  }

  /**
   * Cleans up after a conversion that was killed outright (SIGKILL, power loss):
   * with the lock held no other process writes here, so other staging folders
   * are leftovers; a previous package parked by an interrupted commit is put back.
   */
  #recover(parent: string, name: string): void {
    const tmpPrefix = `.${name}.sera-tmp-`;
    const oldPrefix = `.${name}.sera-old-`;
    for (const entry of listDir(parent)) {
      if (entry.startsWith(tmpPrefix) && /^\d+$/.test(entry.slice(tmpPrefix.length))) {
        removeTree(join(parent, entry));
      } else if (entry.startsWith(oldPrefix) && /^\d+$/.test(entry.slice(oldPrefix.length)) && !exists(this.final)) {
        rename(join(parent, entry), this.final);
      }
    }
  }

  #lock(): void {
    if (heldLocks.has(this.lockPath)) {
      throw new IoError(`another conversion in this process is writing to ${this.final}`, this.lockPath, 'ELOCKED',
        'wait for it to finish, or choose another --output');
    }
    const fs = getFsBackend();
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd = -1;
      try {
        fd = fs.openSync(this.lockPath, 'wx');
        const text = new TextEncoder().encode(`${process.pid}\n`);
        for (let done = 0; done < text.length;) {
          const n = fs.writeSync(fd, text, done, text.length - done, null);
          if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
          done += n;
        }
        fs.closeSync(fd);
        fd = -1;
        this.#locked = true;
        heldLocks.add(this.lockPath);
        return;
      } catch (e) {
        if (fd >= 0) {
          // opened but not written: an empty lock would block nobody but confuse the next run
          try { fs.closeSync(fd); } catch { /* already failing */ }
          try { removeTree(this.lockPath); } catch { /* best effort */ }
        }
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw toIoError(e, 'create the lock file', this.lockPath);
        let owner = NaN;
        try { owner = parseInt(readText(this.lockPath), 10); } catch { /* unreadable: judged by its age below */ }
        if (Number.isFinite(owner) && owner !== process.pid && pidAlive(owner)) {
          throw new IoError(`another conversion (process ${owner}) is writing to ${this.final}`, this.lockPath, 'ELOCKED',
            `wait for it to finish; if no conversion is running, delete ${this.lockPath}`);
        }
        // A lock without a readable PID may belong to a process that created it an
        // instant ago and is writing its PID: only an old one is stale.
        if (!Number.isFinite(owner) && lockAgeMs(this.lockPath) < FRESH_LOCK_MS) {
          throw new IoError(`another conversion is starting to write to ${this.final}`, this.lockPath, 'ELOCKED',
            `wait for it to finish; if no conversion is running, delete ${this.lockPath}`);
        }
        removeTree(this.lockPath); // stale lock of a process that no longer runs
      }
    }
    throw new IoError(`cannot lock ${this.final}`, this.lockPath, 'ELOCKED', `delete ${this.lockPath} if no conversion is running`);
  }

  #unlock(): void {
    if (!this.#locked) return;
    try { removeTree(this.lockPath); } catch { /* best effort */ }
    this.#locked = false;
    heldLocks.delete(this.lockPath);
  }

  /** Path of a file inside the staging folder. */
  path(...rel: string[]): string {
    return join(this.staging, ...rel);
  }

  /** Path the file will have once committed. */
  finalPath(...rel: string[]): string {
    return join(this.final, ...rel);
  }

  /** Moves the finished package into place, replacing a previous one. */
  commit(): void {
    if (this.#done) return;
    const old = join(dirname(this.final), `.${basename(this.final)}.sera-old-${process.pid}`);
    try {
      if (exists(this.final)) {
        removeTree(old);
        rename(this.final, old);
        try {
          rename(this.staging, this.final);
        } catch (err) {
          try {
            rename(old, this.final); // put the previous package back
          } catch {
            const e = err as IoError;
            throw new IoError(`${e.message}; the previous contents of ${this.final} could not be moved back and are kept in ${old}`,
              old, e.code, `move ${old} back to ${this.final} by hand (the next conversion to this output also does it)`);
          }
          throw err;
        }
        this.#done = true;
        // The new package is in place: failing to delete the old one loses nothing
        // (the folder is left behind, and only ever restored if the output disappears).
        try { removeTree(old); } catch { /* leftover folder, harmless */ }
      } else {
        rename(this.staging, this.final);
        this.#done = true;
      }
    } finally {
      this.#unlock();
    }
  }

  /** Removes the staging folder (after a failure or an interrupt). */
  discard(): void {
    if (this.#done) return;
    this.#done = true;
    try { removeTree(this.staging); } catch { /* nothing else to do */ }
    this.#unlock();
  }
}
