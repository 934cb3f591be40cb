// Worker thread that computes the reference-path bridge records while the main
// thread runs PRF, overlays and the collapse: the bridge reads (and hashes) every
// FFN and attention tensor again, and depends on no other stage. The worker opens
// the checkpoint and re-derives the same layer plan (and MXFP4 views, with
// --quantize-experts) from the same config.
import { parentPort, workerData } from 'node:worker_threads';
import { openCheckpoint } from '../io/shards.js';
import { loadSafetensorsReader } from '../io/safetensors.js';
import { loadMxfp4 } from '../kernels/mxfp4.js';
import { parseJsonBytes } from '../format/json-parse.js';
import { parseModelConfig } from '../model/config.js';
import { planLayers } from '../model/layer-plan.js';
import { TensorSet } from '../model/tensors.js';
import { SeraError } from '../errors.js';
import type { TensorInfo } from '../io/safetensors.js';
import { bridgeRecords } from './bridge.js';
import { quantizeFfnWeights } from './quantize.js';

const port = parentPort!;
const { source, configBytes, configPath, quantizeExperts } = workerData as {
  source: string; configBytes: Uint8Array; configPath: string; quantizeExperts?: 'mxfp4';
};
try {
  await Promise.all([loadSafetensorsReader(), loadMxfp4()]);
  const store = openCheckpoint(source);
  try {
    const cfg = parseModelConfig(parseJsonBytes(configBytes), configPath);
    // reads are reported to the main thread, which replays them into its progress display
    const counted = {
      names: () => store.names(),
      get: (n: string) => store.get(n),
      read: (info: TensorInfo, start?: number, length?: number, into?: Uint8Array) => {
        const out = store.read(info, start, length, into);
        port.postMessage({ type: 'read', name: info.name, bytes: out.length });
        return out;
      },
    };
    const tensors = new TensorSet(counted);
    const plan = planLayers(cfg, tensors);
    if (quantizeExperts === 'mxfp4') quantizeFfnWeights(plan.layers, tensors); // as convert() does after planning
    const res = bridgeRecords({ layers: plan.layers, tensors, dModel: cfg.dModel }, cfg.vocabSize);
    port.postMessage({ type: 'done', ok: true, res });
  } finally {
    store.close();
  }
} catch (e) {
  port.postMessage({ type: 'done', ok: false, message: (e as Error).message ?? String(e), hint: e instanceof SeraError ? e.hint : undefined, name: (e as Error).name });
}
