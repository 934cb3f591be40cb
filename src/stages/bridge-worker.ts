// Worker thread for the reference path: the bridge records (and, when asked, the
// overlays) while the main thread runs PRF and the collapse. These stages read
// (and hash) the checkpoint and depend on no other stage. The thread may start
// before the main thread has found the checkpoint (see bridge-spawn.ts): it loads
// its kernels at once, then waits for its one job, opens the checkpoint and
// re-derives the same layer plan (and MXFP4 views, with --quantize-experts) from
// the same config. Stages run in stage order and the first error ends the job.
import { parentPort } from 'node:worker_threads';
import { parseJsonBytes } from '../format/json-parse.js';
import { parseModelConfig } from '../model/config.js';
import { planLayers } from '../model/layer-plan.js';
import { countingStore, type RawStore } from '../model/tensors.js';
import { loadGaussian } from '../kernels/gaussian.js';
import { loadLinalg } from '../kernels/linalg.js';
import { bridgeRecords } from './bridge.js';
import { computeOverlays } from './overlays.js';
import { quantizeFfnWeights } from './quantize.js';
import { loadWorkerKernels, openWorkerTensors, postError } from './worker-common.js';
import type { BridgeJobMessage, WorkerMessage, WorkerStage } from './bridge-parallel.js';
import type { ModelView } from './types.js';

const port = parentPort!;
const kernels = loadWorkerKernels([loadGaussian, loadLinalg]); // the overlays', and the bridge's folds (linalg)

/** Reports every read to the main thread, which replays them into its progress display. */
const counted = (store: RawStore): RawStore => countingStore(store, (info, bytes) => port.postMessage({ type: 'read', name: info.name, bytes }));

async function run({ source, configBytes, configPath, quantizeExperts, overlays, countReads }: BridgeJobMessage): Promise<void> {
  await kernels; // loading since the thread started; openWorkerTensors finds them loaded
  const { tensors, close } = await openWorkerTensors(source, countReads ? { wrap: counted } : {});
  let stage: WorkerStage = overlays ? 'overlays' : 'bridge'; // in stage order
  try {
    const cfg = parseModelConfig(parseJsonBytes(configBytes), configPath);
    const plan = planLayers(cfg, tensors);
    if (quantizeExperts === 'mxfp4') quantizeFfnWeights(plan.layers, tensors); // as convert() does after planning
    const view: ModelView = { layers: plan.layers, tensors, dModel: cfg.dModel };
    const post = (s: WorkerStage, res: unknown) => port.postMessage({ type: 'result', stage: s, res } satisfies WorkerMessage);
    if (overlays) {
      post(stage, computeOverlays(view, overlays.r, overlays.rv));
      stage = 'bridge';
    }
    post(stage, bridgeRecords(view, cfg.vocabSize));
  } catch (e) {
    postError(port, e, { stage });
  } finally {
    close();
  }
}

port.once('message', (job: BridgeJobMessage) => { run(job).catch((e: unknown) => postError(port, e, { stage: job.overlays ? 'overlays' : 'bridge' })); });
