// Runs the reference-path bridge on a worker thread (see bridge-worker.ts), and
// with it the overlays when asked: both read only the checkpoint, so they overlap
// the main thread's PRF and collapse. Results are only taken at their place
// in the stage order, so messages and files come out as in a sequential run.
import type { BridgeResult } from './bridge.js';
import type { OverlaysResult } from './overlays.js';
import { errorFromMessage, type ErrorMessage } from './worker-common.js';
import { BridgeWorker, bridgeOnWorker } from './bridge-spawn.js';

/** The stages a worker runs, in stage order. */
export type WorkerStage = 'overlays' | 'bridge';

/**
 * What a worker stage gave: its result, its error (a SeraError, or a plain Error
 * for a bug), or null when the worker could not run it (the caller computes it in-thread).
 */
export type WorkerOutcome<T> = Promise<T | Error | null>;

export interface BridgeJob {
  result: WorkerOutcome<BridgeResult>;
  /** Set when the job includes the overlays. */
  overlays: WorkerOutcome<OverlaysResult> | null;
  /** The overlays' error once the worker reported it (a later stage checks between its steps). */
  overlaysError(): Error | null;
  /** The worker's checkpoint reads, in order, when asked for (`countReads`: for the progress display). */
  reads: { name: string; bytes: number }[];
  /** performance.now() when the worker thread started, when the job was posted, and when the bridge result arrived (null before). */
  spawnedAt: number;
  startedAt: number;
  doneAt: number | null;
  cancel(): Promise<void>;
}

/** The overlays for the worker to run before the bridge: the r and rv they use. */
export interface OverlaysJob {
  r: number;
  rv: number;
}

/** What the worker needs: the checkpoint, the config to re-plan the layers from, and the overlays' ranks if it runs them. */
export interface BridgeJobMessage {
  type: 'job';
  source: string;
  configBytes: Uint8Array;
  configPath: string;
  quantizeExperts?: 'mxfp4' | undefined;
  overlays?: OverlaysJob | undefined;
  /** Report each checkpoint read (a progress display replays them); off, the worker posts only results. */
  countReads: boolean;
}

/** The worker's messages: a read, a stage's result, or the error that ended the job. */
export type WorkerMessage =
  | { type: 'read'; name: string; bytes: number }
  | { type: 'result'; stage: WorkerStage; res: unknown }
  | (ErrorMessage & { stage: WorkerStage });

/**
 * Starts the bridge in a worker when another core is available and the checkpoint
 * (`checkpointBytes`) is big enough to gain from it (any size when SERA_TRANSFER_THREADS
 * is set); null otherwise. `quantizeExperts` makes the worker read the FFN weights
 * through the same MXFP4 views as the main thread; `overlays` adds that stage. `started` is a worker the caller started early (the CLI does); without
 * it a thread is started here.
 */
export function startBridgeWorker(source: string, configBytes: Uint8Array, configPath: string, checkpointBytes: number,
  opts: { quantizeExperts?: 'mxfp4' | undefined; started?: BridgeWorker | null | undefined; overlays?: OverlaysJob | undefined; countReads?: boolean } = {}): BridgeJob | null {
  if (!bridgeOnWorker(checkpointBytes)) return null;
  const bw = opts.started ?? BridgeWorker.spawn();
  const worker = bw?.take();
  if (!bw || !worker) return null;
  const stages: WorkerStage[] = opts.overlays ? ['overlays', 'bridge'] : ['bridge'];
  const settle = new Map<WorkerStage, (r: unknown) => void>();
  const outcome = <T>(stage: WorkerStage): WorkerOutcome<T> => new Promise((resolve) => settle.set(stage, resolve as (r: unknown) => void));
  const overlays = opts.overlays ? outcome<OverlaysResult>('overlays') : null;
  const result = outcome<BridgeResult>('bridge');
  let overlaysError: Error | null = null;
  const reads: { name: string; bytes: number }[] = [];
  const finish = (stage: WorkerStage, r: unknown) => {
    if (stage === 'bridge') job.doneAt ??= performance.now();
    settle.get(stage)?.(r);
    settle.delete(stage);
  };
  // the worker stops at its first error: the stages after it never ran
  const giveUp = () => { for (const s of stages) finish(s, null); };
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'read') reads.push({ name: m.name, bytes: m.bytes });
    else if (m.type === 'result') finish(m.stage, m.res);
    else {
      const err = errorFromMessage(m);
      if (m.stage === 'overlays') overlaysError ??= err;
      finish(m.stage, err);
      giveUp();
    }
  });
  worker.once('error', giveUp);
  worker.once('exit', giveUp);
  const job: BridgeJob = {
    result, overlays, overlaysError: () => overlaysError,
    reads, spawnedAt: bw.startedAt, startedAt: performance.now(), doneAt: null,
    cancel: async () => { await worker.terminate(); },
  };
  worker.postMessage({
    type: 'job', source, configBytes, configPath, quantizeExperts: opts.quantizeExperts, overlays: opts.overlays, countReads: !!opts.countReads,
  } satisfies BridgeJobMessage);
  return job;
}

/** A worker stage's result: its error is thrown; when the worker could not run it, `here` computes it. */
export async function takeOutcome<T>(outcome: WorkerOutcome<T>, here: () => T): Promise<T> {
  const r = await outcome;
  if (r instanceof Error) throw r;
  return r ?? here();
}
