// Runs the reference-path bridge on a worker thread (see bridge-worker.ts). The
// result is only awaited at the bridge's place in the stage order, so messages
// and files come out in the same order as a sequential run.
import { Worker } from 'node:worker_threads';
import type { BridgeResult } from './bridge.js';
import { errorFromMessage, threadBudget } from './worker-common.js';

export interface BridgeJob {
  /**
   * Settles with the result, the worker's error (a SeraError, or a plain Error for a bug),
   * or null when the worker could not run (the caller computes in-thread).
   */
  result: Promise<BridgeResult | Error | null>;
  /** The worker's checkpoint reads, in order (for the progress display). */
  reads: { name: string; bytes: number }[];
  /** performance.now() when the worker started, and when its result arrived (null before). */
  startedAt: number;
  doneAt: number | null;
  cancel(): Promise<void>;
}

/**
 * Checkpoints below this size bridge faster on the main thread: a worker's start
 * (~100 ms on its own core, ~10 ms of the main thread's) costs more than it overlaps
 * (measured: 128×4 dense, 3 MB, 0.21 s alone vs 0.24 s with a worker; break-even near 12 MB).
 */
export const BRIDGE_WORKER_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Starts the bridge in a worker when another core is available and the checkpoint
 * (`checkpointBytes`) is big enough to gain from it (any size when SERA_TRANSFER_THREADS
 * is set); null otherwise. `quantizeExperts` makes the worker read the FFN weights
 * through the same MXFP4 views as the main thread.
 */
export function startBridgeWorker(source: string, configBytes: Uint8Array, configPath: string, checkpointBytes: number,
  quantizeExperts?: 'mxfp4'): BridgeJob | null {
  const { cores, explicit } = threadBudget();
  if (cores < 2 || (!explicit && checkpointBytes < BRIDGE_WORKER_MIN_BYTES)) return null;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./bridge-worker.js', import.meta.url), { workerData: { source, configBytes, configPath, quantizeExperts } });
  } catch {
    return null;
  }
  const reads: { name: string; bytes: number }[] = [];
  const job: BridgeJob = {
    result: new Promise<BridgeResult | Error | null>((resolve) => {
      const done = (r: BridgeResult | Error | null) => { job.doneAt ??= performance.now(); resolve(r); };
      worker.on('message', (m: any) => {
        if (m.type === 'read') reads.push({ name: m.name, bytes: m.bytes });
        else if (m.type === 'error') done(errorFromMessage(m));
        else done(m.res as BridgeResult);
      });
      worker.once('error', () => done(null));
      worker.once('exit', () => done(null));
    }),
    reads, startedAt: performance.now(), doneAt: null,
    cancel: async () => { await worker.terminate(); },
  };
  return job;
}
