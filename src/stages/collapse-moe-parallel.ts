// The MoE collapse across worker threads: each worker opens the checkpoint
// itself and collapses whole layers; results are combined in layer order, so
// the bytes never depend on which worker finished first.
import { Worker } from 'node:worker_threads';
import { StageError } from '../errors.js';
import { Mxfp4Tensor } from '../model/mxfp4-tensor.js';
import { QuantizedTensor } from './quantize.js';
import { FileTensor, type Tensor } from '../model/tensors.js';
import type { CollapseResult } from './collapse.js';
import { checkMoeParams, combineMoeLayers, moeLayerInputs, type MoeCollapseOptions, type MoeLayerOutput } from './collapse-moe.js';
import type { ModelView } from './types.js';
import type { MoeInfo } from '../model/layer-plan.js';
import { errorFromMessage } from './worker-common.js';
import { threadBudget } from './bridge-spawn.js';

export type TensorRef =
  | { kind: 'file'; name: string }
  | { kind: 'mxfp4'; base: string; blocks: string; scales: string }
  | { kind: 'quantized'; name: string };

export interface LayerJob {
  li: number;
  w1: TensorRef;
  w2: TensorRef;
  b1: TensorRef | null;
  b2: TensorRef | null;
}

function ref(t: Tensor | null): TensorRef | null | undefined {
  if (t === null) return null;
  if (t instanceof Mxfp4Tensor) return { kind: 'mxfp4', base: t.name, blocks: t.blocks.info.name, scales: t.scales.info.name };
  if (t instanceof FileTensor) return { kind: 'file', name: t.info.name };
  if (t instanceof QuantizedTensor) return { kind: 'quantized', name: t.source.info.name };
  return undefined; // a view only this thread has (e.g. a fused split): no workers
}

/**
 * Worker count for a layer of this size (1 = stay on this thread). SERA_TRANSFER_THREADS=N
 * sets it explicitly (also for small layers, where thread start-up would otherwise not pay).
 */
export function moeWorkerCount(layers: number, elementsPerLayer: number): number {
  const { cores, explicit } = threadBudget();
  if (layers < 2 || (!explicit && elementsPerLayer < 1 << 24)) return 1;
  return Math.max(1, Math.min(cores, layers));
}

export async function collapseMoeParallel(
  view: ModelView, moe: MoeInfo, opts: MoeCollapseOptions, source: string, workers: number,
  hooks: { between?: () => Promise<void> } = {},
): Promise<(CollapseResult & { keyWeights: Float64Array }) | null> {
  const p = checkMoeParams(moe, view.dModel, opts);
  const jobs: LayerJob[] = [];
  for (const [li, inp] of moeLayerInputs(view).entries()) {
    const w1 = ref(inp.W1), w2 = ref(inp.W2), b1 = ref(inp.B1), b2 = ref(inp.B2);
    if (!w1 || !w2 || b1 === undefined || b2 === undefined) return null;
    jobs.push({ li, w1, w2, b1, b2 });
  }
  const outs: MoeLayerOutput[] = new Array(jobs.length);
  const url = new URL('./collapse-moe-worker.js', import.meta.url);
  const pool: Worker[] = [];
  const exited: Promise<unknown>[] = [];
  const finished = new Set<Worker>(); // closed their checkpoint; terminating them is expected
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (e: unknown) => reject(e);
      // a worker with nothing left to do closes its checkpoint, then is terminated
      const feed = (w: Worker) => w.postMessage(next < jobs.length ? { type: 'layer', job: jobs[next++] } : { type: 'close' });
      for (let i = 0; i < workers; i++) {
        const w = new Worker(url, { workerData: { source, params: p } });
        pool.push(w);
        exited.push(new Promise((r) => w.once('exit', r)));
        w.on('error', fail);
        w.on('exit', (code) => { if (code !== 0 && !finished.has(w) && done < jobs.length) fail(new StageError(`collapse worker exited with code ${code}`)); });
        w.on('message', (m: any) => {
          if (m.type === 'ready') { feed(w); return; }
          if (m.type === 'closed') { finished.add(w); void w.terminate(); return; }
          if (m.type === 'error') return fail(errorFromMessage(m));
          outs[m.li] = { weights: new Float64Array(m.weights), records: new Uint8Array(m.records, m.recordsOffset, m.recordsLength), bias: m.bias, dropped: m.dropped };
          if (++done === jobs.length) resolve();
          // a Ctrl-C is acted on after each layer, not after the whole collapse
          else if (hooks.between) hooks.between().then(() => feed(w), fail);
          else feed(w);
        });
      }
    });
  } catch (e) {
    await Promise.all(pool.map((w) => w.terminate()));
    throw e;
  }
  // every worker closes its checkpoint and is terminated (one already told ignores this):
  // also one whose between-layers hook was still pending, and failed, when the last layer came
  for (const w of pool) w.postMessage({ type: 'close' });
  await Promise.all(exited);
  return combineMoeLayers(outs, p, opts);
}
