// Starting the bridge worker thread, apart from the code that gives it work: the
// CLI starts the thread before it loads the converter, so the worker's own
// start-up (Node's worker bootstrap, its modules, its kernels: ~50 ms) runs on the
// second core while the main thread loads and plans. This module stays light:
// the CLI imports it at start-up.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { exists, fileSize, listDir } from '../io/fs.js';
import { searchRootNames } from '../io/paths.js';

/** Threads the stages may use: SERA_TRANSFER_THREADS=N when it is a positive integer (`explicit`), else the machine's parallelism. */
export function threadBudget(): { cores: number; explicit: boolean } {
  const env = Number(process.env.SERA_TRANSFER_THREADS);
  const explicit = Number.isInteger(env) && env > 0;
  return { cores: explicit ? env : availableParallelism(), explicit };
}

/**
 * Checkpoints below this size convert faster on the main thread alone: a worker's
 * start (~50 ms on its own core, a few ms of the main thread's) costs more than it
 * overlaps (measured with the worker started early: 128×4 dense, 3 MB, 0.21 s alone
 * vs 0.23 s with it; 256×4, 13 MB, 0.26 s vs 0.28 s; 512×2, 25 MB, gains).
 */
export const BRIDGE_WORKER_MIN_BYTES = 16 * 1024 * 1024;

/** Whether a checkpoint of `bytes` bridges on a worker (any size when SERA_TRANSFER_THREADS is set). */
export function bridgeOnWorker(bytes: number): boolean {
  const { cores, explicit } = threadBudget();
  return cores >= 2 && (explicit || bytes >= BRIDGE_WORKER_MIN_BYTES);
}

/** A started bridge worker, waiting for its job (bridge-parallel.ts posts it). */
export class BridgeWorker {
  readonly worker: Worker;
  /** performance.now() when the thread was started. */
  readonly startedAt = performance.now();
  #state: 'waiting' | 'taken' | 'released' | 'exited' = 'waiting';

  /** Settles when the thread has ended (its exit handlers, such as a code-cache write, have run). */
  readonly exited: Promise<void>;

  private constructor(worker: Worker) {
    this.worker = worker;
    // until a job takes the thread nobody else listens: an unheard 'error' would end the
    // process, and a missed 'exit' would leave the job waiting. A thread that failed or
    // stopped while waiting is declined by take() (the bridge then runs on this thread);
    // once taken, the job's own listeners report its errors.
    worker.on('error', () => {});
    this.exited = new Promise((resolve) => worker.once('exit', () => {
      if (this.#state === 'waiting') this.#state = 'exited';
      resolve();
    }));
  }

  /**
   * Starts the thread; null when it cannot start (the bridge then runs on the main thread).
   * `codeCache`: under Node the thread may read and write V8's code cache (bin's early
   * worker, started before V8's flags can change, see cli/code-cache.ts); a thread started
   * later runs its script uncached, as the flags its cache would carry may have changed.
   */
  static spawn(codeCache = false): BridgeWorker | null {
    try {
      return new BridgeWorker(new Worker(new URL('./bridge-worker.js', import.meta.url), { workerData: { codeCache } }));
    } catch {
      return null;
    }
  }

  get state(): 'waiting' | 'taken' | 'released' | 'exited' {
    return this.#state;
  }

  /** The thread, for the one job it runs; null once taken, released or exited. */
  take(): Worker | null {
    if (this.#state !== 'waiting') return null;
    this.#state = 'taken';
    return this.worker;
  }

  /** Stops the thread unless a job took it (the conversion did not need it). */
  release(): void {
    if (this.#state !== 'waiting') return;
    this.#state = 'released';
    void this.worker.terminate();
  }
}

/**
 * Bytes of the *.safetensors files in the first folder that has any, of those
 * discovery searches (io/paths.ts searchRootNames): a guess at the checkpoint's size from a directory listing,
 * made before discovery runs, to decide whether to start the bridge worker early.
 * A wrong guess only costs time: convert() starts a worker itself, or stops an unneeded one.
 */
export function guessWeightBytes(source: string, originalSubdir: string | null): number {
  for (const root of searchRootNames(originalSubdir, (n) => exists(join(source, n))).map((p) => resolve(source, p))) {
    let names: string[];
    try {
      names = listDir(root).filter((n) => n.endsWith('.safetensors'));
    } catch {
      continue;
    }
    if (!names.length) continue;
    let total = 0;
    for (const n of names) {
      try { total += fileSize(join(root, n)); } catch { /* a broken entry: discovery reports it */ }
    }
    return total;
  }
  return 0;
}
