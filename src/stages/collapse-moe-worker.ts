// Worker thread of the parallel MoE collapse: opens the checkpoint, then
// collapses the layers the main thread sends, one message per layer, until it
// is told to close. It closes its checkpoint and says so; the main thread then
// terminates it (Deno's parentPort has no close(), so the thread cannot end itself portably).
import { parentPort, workerData } from 'node:worker_threads';
import { loadMoe } from '../kernels/moe.js';
import type { FileTensor, Tensor } from '../model/tensors.js';
import { Mxfp4Tensor } from '../model/mxfp4-tensor.js';
import { QuantizedTensor } from './quantize.js';
import { collapseMoeLayer, type MoeParams } from './collapse-moe.js';
import type { LayerJob, TensorRef } from './collapse-moe-parallel.js';
import { openWorkerTensors, postError } from './worker-common.js';

const port = parentPort!;
const { source, params } = workerData as { source: string; params: MoeParams };
const { tensors, close } = await openWorkerTensors(source, { kernels: [loadMoe] });

function tensor(r: TensorRef): Tensor {
  if (r.kind === 'file') return tensors.require(r.name, 'expert tensor');
  if (r.kind === 'quantized') return new QuantizedTensor(tensors.require(r.name, 'expert tensor') as FileTensor);
  return new Mxfp4Tensor(r.base, tensors.require(r.blocks, 'MXFP4 blocks') as FileTensor, tensors.require(r.scales, 'MXFP4 scales') as FileTensor);
}

let closed = false;
port.on('message', (m: { type: 'layer'; job: LayerJob } | { type: 'close' }) => {
  if (m.type === 'close') {
    if (closed) return; // told twice: after its last layer and by the pool's final close
    closed = true;
    close();
    port.postMessage({ type: 'closed' });
    return;
  }
  try {
    const j = m.job;
    const out = collapseMoeLayer({
      W1: tensor(j.w1), W2: tensor(j.w2), B1: j.b1 ? tensor(j.b1) : null, B2: j.b2 ? tensor(j.b2) : null,
    }, j.li, params);
    // both buffers are handed over, not copied
    const records = out.records.buffer as ArrayBuffer;
    const weights = out.weights.buffer as ArrayBuffer;
    port.postMessage({
      type: 'layer', li: j.li, weights, records, recordsOffset: out.records.byteOffset, recordsLength: out.records.length,
      bias: out.bias, dropped: out.dropped,
    }, [weights, records]);
  } catch (e) {
    postError(port, e);
  }
});
port.postMessage({ type: 'ready' });
