// Worker thread that computes the reference-path bridge records while the main
// thread runs PRF, overlays and the collapse: the bridge reads (and hashes) every
// FFN and attention tensor again, and depends on no other stage. The thread may
// start before the main thread has found the checkpoint (see bridge-spawn.ts): it
// loads its kernels at once, then waits for its one job, opens the checkpoint and
// re-derives the same layer plan (and MXFP4 views, with --quantize-experts) from
// the same config.
import { parentPort } from 'node:worker_threads';
import { parseJsonBytes } from '../format/json-parse.js';
import { parseModelConfig } from '../model/config.js';
import { planLayers } from '../model/layer-plan.js';
import { countingStore, type RawStore } from '../model/tensors.js';
import { bridgeRecords } from './bridge.js';
import { loadLinalg } from '../kernels/linalg.js';
import { quantizeFfnWeights } from './quantize.js';
import { loadWorkerKernels, openWorkerTensors, postError } from './worker-common.js';
import type { BridgeJobMessage } from './bridge-parallel.js';

const port = parentPort!;
const kernels = loadWorkerKernels([loadLinalg]); // linalg: the bridge's folds (stages/bridge.ts)

/** Reports every read to the main thread, which replays them into its progress display. */
const counted = (store: RawStore): RawStore => countingStore(store, (info, bytes) => port.postMessage({ type: 'read', name: info.name, bytes }));

async function run({ source, configBytes, configPath, quantizeExperts }: BridgeJobMessage): Promise<void> {
  await kernels;
  const { tensors, close } = await openWorkerTensors(source, { wrap: counted });
  try {
    const cfg = parseModelConfig(parseJsonBytes(configBytes), configPath);
    const plan = planLayers(cfg, tensors);
    if (quantizeExperts === 'mxfp4') quantizeFfnWeights(plan.layers, tensors); // as convert() does after planning
    const res = bridgeRecords({ layers: plan.layers, tensors, dModel: cfg.dModel }, cfg.vocabSize);
    port.postMessage({ type: 'done', res });
  } finally {
    close();
  }
}

port.once('message', (job: BridgeJobMessage) => { run(job).catch((e: unknown) => postError(port, e)); });
