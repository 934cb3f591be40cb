// Atomic output: everything is written into a hidden sibling folder and renamed
// into place only when complete, under a lock file so two conversions cannot
// mix their files. A failed run leaves any previous package untouched.
import { basename, dirname, join } from 'node:path';
import { mkdirp, removeTree, rename, exists, isDirectory, listDir } from './fs.js';
import { IoError, UsageError } from '../errors.js';
import { acquirePidLock } from './pid.js';

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

export interface StageOptions {
  /** Replace a non-empty folder that is not a Sera package. */
  force?: boolean;
}

export class StagedOutput {
  readonly final: string;
  readonly staging: string;
  readonly lockPath: string;
  /** Removes the lock file (a no-op until the lock is taken, and after the first call). */
  #release: () => void = () => undefined;
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
      this.#release();
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
    const hint = `wait for it to finish; if no conversion is running, delete ${this.lockPath}`;
    this.#release = acquirePidLock(this.lockPath, {
      busy: (pid) => pid === process.pid
        ? new IoError(`another conversion in this process is writing to ${this.final}`, this.lockPath, 'ELOCKED',
          'wait for it to finish, or choose another --output')
        : pid === null
          ? new IoError(`another conversion is starting to write to ${this.final}`, this.lockPath, 'ELOCKED', hint)
          : new IoError(`another conversion (process ${pid}) is writing to ${this.final}`, this.lockPath, 'ELOCKED', hint),
    });
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
      this.#release();
    }
  }

  /** Removes the staging folder (after a failure or an interrupt). */
  discard(): void {
    if (this.#done) return;
    this.#done = true;
    try { removeTree(this.staging); } catch { /* nothing else to do */ }
    this.#release();
  }
}
