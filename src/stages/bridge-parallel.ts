// Runs the reference-path bridge on a worker thread (see bridge-worker.ts). The
// result is only awaited at the bridge's place in the stage order, so messages
// and files come out in the same order as a sequential run.
import type { BridgeResult } from './bridge.js';
import { errorFromMessage } from './worker-common.js';
import { BridgeWorker, bridgeOnWorker } from './bridge-spawn.js';

export { BRIDGE_WORKER_MIN_BYTES } from './bridge-spawn.js';

export interface BridgeJob {
  /**
   * Settles with the result, the worker's error (a SeraError, or a plain Error for a bug),
   * or null when the worker could not run (the caller computes in-thread).
   */
  result: Promise<BridgeResult | Error | null>;
  /** The worker's checkpoint reads, in order (for the progress display). */
  reads: { name: string; bytes: number }[];
  /** performance.now() when the worker thread started, when the job was posted, and when its result arrived (null before). */
  spawnedAt: number;
  startedAt: number;
  doneAt: number | null;
  cancel(): Promise<void>;
}

/** What the worker needs to bridge on its own: the checkpoint, and the config to re-plan the layers from. */
export interface BridgeJobMessage {
  type: 'job';
  source: string;
  configBytes: Uint8Array;
  configPath: string;
  quantizeExperts?: 'mxfp4';
}

/**
 * Starts the bridge in a worker when another core is available and the checkpoint
 * (`checkpointBytes`) is big enough to gain from it (any size when SERA_TRANSFER_THREADS
 * is set); null otherwise. `quantizeExperts` makes the worker read the FFN weights
 * through the same MXFP4 views as the main thread. `started` is a worker the caller
 * started early (the CLI does); without it a thread is started here.
 */
export function startBridgeWorker(source: string, configBytes: Uint8Array, configPath: string, checkpointBytes: number,
  quantizeExperts?: 'mxfp4', started?: BridgeWorker | null): BridgeJob | null {
  if (!bridgeOnWorker(checkpointBytes)) return null;
  const bw = started ?? BridgeWorker.spawn();
  const worker = bw?.take();
  if (!bw || !worker) return null;
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
    reads, spawnedAt: bw.startedAt, startedAt: performance.now(), doneAt: null,
    cancel: async () => { await worker.terminate(); },
  };
  worker.postMessage({ type: 'job', source, configBytes, configPath, quantizeExperts } satisfies BridgeJobMessage);
  return job;
}
