// Progress of a conversion, observed from outside the stages: which stage runs,
// which layer its checkpoint reads belong to, and how many bytes it has read.
// The stages stay unaware of it: a RawStore wrapper counts the bytes of every
// read, and tensor names are mapped to layers through the layer plan (reads
// happen layer by layer in every stage that walks the model).
import { countingStore, type RawStore, type TensorSet } from '../model/tensors.js';
import { fileTensors } from '../model/file-tensors.js';
import type { LayerSpec } from '../model/layer-plan.js';

/** The stages convert() announces, in order (a stage not listed is shown without a number). */
export const CONVERT_STAGES: readonly string[] = [
  'discover', 'tokenizer', 'prf', 'overlays', 'collapse', 'memory', 'bridge', 'mxfp4-shards', 'manifest', 'snapshot', 'state', 'verify',
];

/** Stages that run only for some checkpoints: counted once they start. */
const OPTIONAL_STAGES = new Set(['mxfp4-shards']);

export interface ProgressEvent {
  /** 'stage': a stage starts; 'read': checkpoint bytes were read; 'done': the conversion finished. */
  kind: 'stage' | 'read' | 'done';
  stage: string;
  /** 1-based position among CONVERT_STAGES (optional ones once started), 0 when the stage is not listed. */
  stageIndex: number;
  stageCount: number;
  /** Layer (0-based) of the latest read, null before any layer tensor was read in this stage. */
  layer: number | null;
  layerCount: number;
  /** Estimated fraction of the stage done, null when the stage has not read layer tensors. */
  fraction: number | null;
  /** Checkpoint bytes read since the stage started / since the conversion started. */
  stageBytes: number;
  totalBytes: number;
  /** Milliseconds (monotonic clock). */
  now: number;
  stageStartedAt: number;
  startedAt: number;
}

export type ProgressListener = (e: ProgressEvent) => void;

/** Layer fields each stage reads (once each: the seed hashes are fed while reading), for the first layer's estimate. */
const STAGE_READS: Record<string, readonly string[]> = {
  prf: ['w_k'],
  overlays: ['w_o'],
  collapse: ['w1', 'w2', 'b1', 'b2'],
  bridge: ['w_q', 'w_k', 'w_v', 'w_o', 'w1', 'w2', 'b1', 'b2'],
};

function commonPrefix(names: string[]): string {
  if (!names.length) return '';
  let parts = names[0]!.split('.').slice(0, -1);
  for (const n of names.slice(1)) {
    const p = n.split('.');
    let i = 0;
    while (i < parts.length && i < p.length - 1 && parts[i] === p[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join('.');
}

export class ProgressTracker {
  readonly #listener: ProgressListener;
  readonly #clock: () => number;
  readonly #startedAt: number;
  #stage = '';
  #stageStartedAt: number;
  #stageBytes = 0;
  #totalBytes = 0;
  #byName = new Map<string, number>();
  #prefixes: [string, number][] = [];
  /** Per layer: field → checkpoint bytes behind it. */
  #fieldBytes: Map<string, number>[] = [];
  /** False when the latest read was not a layer tensor (embeddings, shards): no layer fraction then. */
  #inLayer = false;
  #layerCount = 0;
  #layer: number | null = null;
  #bytesInLayer = 0;
  /** Bytes this stage read per completed layer (for the within-layer estimate). */
  #completed: number[] = [];
  #optionalSeen = new Set<string>();

  constructor(listener: ProgressListener, clock: () => number = () => performance.now()) {
    this.#listener = listener;
    this.#clock = clock;
    this.#startedAt = clock();
    this.#stageStartedAt = this.#startedAt;
  }

  /** A store that reports every read to this tracker. */
  wrap(store: RawStore): RawStore {
    return countingStore(store, (info, bytes) => this.#read(info.name, bytes));
  }

  /** Maps the checkpoint tensors of each planned layer (as the plan's tensors resolve them) to its index. */
  setLayers(layers: readonly LayerSpec[], tensors: Pick<TensorSet, 'get'>): void {
    this.#layerCount = layers.length;
    this.#byName.clear();
    this.#prefixes = [];
    this.#fieldBytes = [];
    layers.forEach((layer, i) => {
      const names: string[] = [];
      const fields = new Map<string, number>();
      for (const [key, v] of Object.entries(layer)) {
        if (key === 'name' || typeof v !== 'string') continue;
        let bytes = 0;
        for (const { info } of fileTensors(tensors.get(v))) {
          bytes += info.byteLength;
          if (!this.#byName.has(info.name)) {
            this.#byName.set(info.name, i);
            names.push(info.name);
          }
        }
        fields.set(key, bytes);
      }
      this.#fieldBytes.push(fields);
      const prefix = commonPrefix(names);
      if (prefix) this.#prefixes.push([prefix + '.', i]);
    });
    // longest prefix first, so `layers.1.` never swallows `layers.10.`-style names by accident
    this.#prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  /** Announces an optional stage that will run (so stage numbers count it from the start). */
  expect(name: string): void {
    this.#optionalSeen.add(name);
  }

  stage(name: string): void {
    if (OPTIONAL_STAGES.has(name)) this.#optionalSeen.add(name);
    this.#stage = name;
    this.#stageStartedAt = this.#clock();
    this.#stageBytes = 0;
    this.#layer = null;
    this.#inLayer = false;
    this.#bytesInLayer = 0;
    this.#completed = [];
    this.#emit('stage');
  }

  finish(): void {
    this.#emit('done');
  }

  /** A read another thread made for the current stage (replayed in its order). */
  recordRead(name: string, bytes: number): void {
    this.#read(name, bytes);
  }

  #layerOf(name: string): number | null {
    const exact = this.#byName.get(name);
    if (exact !== undefined) return exact;
    for (const [p, i] of this.#prefixes) if (name.startsWith(p)) return i;
    return null;
  }

  #read(name: string, bytes: number): void {
    this.#stageBytes += bytes;
    this.#totalBytes += bytes;
    const layer = this.#layerOf(name);
    this.#inLayer = layer !== null;
    if (layer !== null && layer !== this.#layer) {
      if (this.#layer !== null && layer > this.#layer) this.#completed.push(this.#bytesInLayer);
      if (this.#layer === null || layer > this.#layer) {
        this.#layer = layer;
        this.#bytesInLayer = 0;
      }
    }
    if (layer !== null && layer === this.#layer) this.#bytesInLayer += bytes;
    this.#emit('read');
  }

  #fraction(): number | null {
    if (this.#layer === null || this.#layerCount === 0 || !this.#inLayer) return null;
    const per = this.#completed.length
      ? this.#completed.reduce((s, x) => s + x, 0) / this.#completed.length
      : Math.max(1, this.#expectedLayerBytes(this.#layer));
    const within = Math.min(0.99, this.#bytesInLayer / Math.max(1, per));
    return Math.min(1, (this.#layer + within) / this.#layerCount);
  }

  /** What the current stage should read for one layer (before a layer has completed). */
  #expectedLayerBytes(layer: number): number {
    const fields = this.#fieldBytes[layer];
    if (!fields) return 1;
    let n = 0;
    for (const f of STAGE_READS[this.#stage] ?? fields.keys()) n += fields.get(f) ?? 0;
    return n;
  }

  #emit(kind: ProgressEvent['kind']): void {
    const stages = CONVERT_STAGES.filter((s) => !OPTIONAL_STAGES.has(s) || this.#optionalSeen.has(s));
    const idx = stages.indexOf(this.#stage);
    this.#listener({
      kind,
      stage: this.#stage,
      stageIndex: idx + 1,
      stageCount: stages.length,
      layer: this.#inLayer || kind !== 'read' ? this.#layer : null,
      layerCount: this.#layerCount,
      fraction: kind === 'read' ? this.#fraction() : null,
      stageBytes: this.#stageBytes,
      totalBytes: this.#totalBytes,
      now: this.#clock(),
      stageStartedAt: this.#stageStartedAt,
      startedAt: this.#startedAt,
    });
  }
}
