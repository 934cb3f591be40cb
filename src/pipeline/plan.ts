// `--dry-run`: what a conversion would do and write, computed from the
// safetensors headers, config.json and the tokenizer only (no tensor data is
// read). Layers and roles come from the real layer planner; array shapes follow
// the stages' shape rules; the tokenizer stage runs for real (it reads only the
// tokenizer file). Sizes that depend on weight values are estimated and marked:
// the residual records of the FFN collapse (the share of positive W1 entries
// outside the top-L), the minimal perfect hash table (it may grow by 5% steps),
// and the float texts in sera_state.json.
import { join } from 'node:path';
import { readFile } from '../io/fs.js';
import type { TensorStore } from '../io/shards.js';
import { loadSafetensorsReader, type TensorInfo } from '../io/safetensors.js';
import { isSeraPackage, outputRefusal } from '../io/staged-output.js';
import { dumps } from '../format/pyjson.js';
import { dict, dictOf, int, type PyDict, type PyValue } from '../format/pyvalue.js';
import { DTYPE_SIZES, type SeraDtype } from '../format/dtypes.js';
import { PAYLOAD_OFFSET, type ArrayRecord } from '../format/array-file.js';
import type { ArrayDigestInfo } from '../format/manifest-build.js';
import { formatSummaryTable, type Summary } from '../format/summary.js';
import { loadMph } from '../kernels/mph.js';
import { parseModelConfig } from '../model/config.js';
import { planLayers, type LayerPlan, type LayerSpec } from '../model/layer-plan.js';
import { TensorSet, FileTensor, SliceTensor, product, countingStore, type Tensor } from '../model/tensors.js';
import { fileTensors } from '../model/file-tensors.js';
import { Mxfp4Tensor } from '../model/mxfp4-tensor.js';
import { ConversionLog } from '../log.js';
import type { ConvertOptions } from '../convert.js';
import { resolvePath } from '../io/paths.js';
import { formatBytes } from '../cli/progress.js';
import { SearchRoots, HINT_CONFIG, openWeights, parseConfigJson } from './discover.js';
import { setupDeterminism, determinismMetadata } from './determinism.js';
import { stateValue } from './state.js';
import {
  resolveSettings, withDefaults, NO_TOKENIZER_WARNING, missingTokenizerError, tokenizerMetadata, attentionMetadata, addLinearConfigFields, overlaysMetadata,
  compatMetadata, trustGate, packageManifest, type Settings,
} from './metadata.js';
import { planTokenizer } from './plan-tokenizer.js';
import { memoryCoefficients } from '../stages/memory.js';
import { referenceBucketCount } from '../stages/mphf.js';
import { RESIDUALS_PER_KEY, checkMoeParams, moeMetadata } from '../stages/collapse-moe.js';
import { findMxfp4Pairs, shardPath, quantizedShapes, shardIndexText, shardsMetadata } from '../stages/mxfp4-shards.js';
import { quantizeFfnWeights, QuantizedTensor, ENCODER_RULE } from '../stages/quantize.js';
import { buildRuntimeSnapshot, runtimeErrorDict } from '../stages/snapshot/index.js';
import { prfShapes } from '../stages/prf.js';
import { noOverlayInput, overlayDims, overlayShapes } from '../stages/overlays.js';
import { BRIDGE_LEGS, bridgeTokens, missingBridgeInputs, disabledBridge, bridgeShapes } from '../stages/bridge.js';

/** What convert() is given (the same flags: the plan describes that conversion), and the planner's own knob. */
export type PlanOptions = Pick<ConvertOptions, 'source' | 'output' | 'r' | 'rv' | 'topL' | 'originalSubdir' | 'strictTokenizer' | 'force' | 'assumeFtz'
  | 'assumeFma' | 'mxfp4Shards' | 'allowNanScales' | 'quantizeExperts' | 'onConfig'> & {
  /** Vocabularies above this size are scanned instead of run through the tokenizer stage (tests lower it). */
  tokenizerFastThreshold?: number;
};

/** One file of arrays/mxfp4/ (stages/mxfp4-shards.ts). */
export interface PlannedShard {
  file: string;
  source: string;
  shape: number[];
  fileBytes: number;
}

export interface PlannedArray {
  name: string;
  dtype: SeraDtype;
  shape: number[];
  /** Payload bytes (the summary's "bytes"). */
  bytes: number;
  /** File size: the 128-byte header block plus the payload. */
  fileBytes: number;
  /** False when the size depends on weight values (then `note` says how it was estimated). */
  exact: boolean;
  note?: string;
}

export interface PlannedRole {
  role: string;
  tensor: string | null;
  shape: number[];
  /** Stored dtype, 'MXFP4' for a blocks/scales pair, 'split' for a fused-QKV component. */
  dtype: string;
}

export interface PlannedLayer {
  name: string;
  roles: PlannedRole[];
}

export interface ConversionPlan {
  source: string;
  output: string;
  configPath: string;
  weights: { path: string; files: number; tensors: number; bytes: number };
  tokenizer: { kind: string; path: string; pieces: number; supported: boolean } | null;
  model: { family: string; dModel: number; nHeads: number; headDim: number; vocabSize: number; numKeyValueHeads: number | null; layers: number };
  settings: Settings;
  layers: PlannedLayer[];
  ignored: string[];
  deviations: string[];
  warnings: string[];
  arrays: PlannedArray[];
  /** arrays/mxfp4/ copies of the MXFP4 tensors (empty when not written). */
  shards: PlannedShard[];
  /** Estimated bytes of every output file (`shards` includes arrays/mxfp4/index.json). */
  estimate: { arrays: number; shards: number; manifest: number; state: number; log: number; total: number };
  /** Checkpoint tensor bytes read while planning (0: headers only). */
  tensorBytesRead: number;
  /** Checkpoint bytes a real run reads at least once. */
  checkpointBytes: number;
}

/** Typical Python float repr lengths (measured on the corpus): sums of f32 values, of BF16 values, of MXFP4 values. */
const FLOAT_LONG = 0.12345678901234568; // 19 characters
const FLOAT_SHORT = 0.12890625; // 10 characters
const FLOAT_GRID = 0.078125; // 8 characters
/** Share of W1 entries that are > 0 (symmetric weights; FP4 has 2 zero codes out of 16). */
const POSITIVE_SHARE_FLOAT = 0.5;
const POSITIVE_SHARE_MXFP4 = 7 / 16;

function planned(name: string, dtype: SeraDtype, shape: number[], exact = true, note?: string): PlannedArray {
  const bytes = product(shape) * DTYPE_SIZES[dtype];
  const a: PlannedArray = { name, dtype, shape, bytes, fileBytes: PAYLOAD_OFFSET + bytes, exact };
  if (note) a.note = note;
  return a;
}

function dtypeOf(t: Tensor | undefined): string {
  if (!t) return '-';
  if (t instanceof Mxfp4Tensor) return 'MXFP4';
  if (t instanceof QuantizedTensor) return `MXFP4(${t.source.dtype})`;
  if (t instanceof SliceTensor) return `split(${dtypeOf(t.parent)})`;
  if (t instanceof FileTensor) return t.dtype;
  return 'memory';
}

const ROLE_FIELDS: [keyof LayerSpec, string][] = [
  ['w_q', 'W_Q'], ['w_k', 'W_K'], ['w_v', 'W_V'], ['w_o', 'W_O'], ['w1', 'FFN_W1'], ['w2', 'FFN_W2'], ['b1', 'FFN_B1'], ['b2', 'FFN_B2'],
];

function layerRoles(layer: LayerSpec, tensors: TensorSet): PlannedRole[] {
  return ROLE_FIELDS.map(([field, role]) => {
    const name = layer[field] as string | null;
    const t = name === null ? undefined : tensors.get(name);
    return { role, tensor: name, shape: t ? [...t.shape] : [], dtype: dtypeOf(t) };
  });
}

/** Values the stages read as MXFP4 decodes (stored MXFP4, or --quantize-experts). */
function onMxfp4Grid(t: Tensor | undefined): boolean {
  return t instanceof Mxfp4Tensor || t instanceof QuantizedTensor;
}

/**
 * Residual records of one layer's FFN collapse: for each input feature j, the
 * hidden units outside the top-L with a non-zero W2 column sum and W1[h, j] > 0.
 */
function residualEstimate(W1: Tensor, W2: Tensor, d: number, topL: number): number {
  if (W1.rank !== 2 || W2.rank !== 2) return 0;
  const hid = W1.rows;
  const hid2 = W2.rows ? W2.rowSize : 0;
  const m = Math.min(hid, hid2); // units past the W2 width have a zero column sum
  if (hid <= topL) return 0;
  const k = topL >= 0 ? topL : Math.max(0, hid + topL);
  const candidates = Math.max(0, m - Math.min(k, m));
  const share = onMxfp4Grid(W1) ? POSITIVE_SHARE_MXFP4 : POSITIVE_SHARE_FLOAT;
  return Math.round(d * candidates * share);
}

function floatFor(t: Tensor | undefined): number {
  if (onMxfp4Grid(t)) return FLOAT_GRID;
  if (t instanceof FileTensor && (t.dtype === 'BF16' || t.dtype === 'F16' || t.dtype === 'U8' || t.dtype === 'I8')) return FLOAT_SHORT;
  return FLOAT_LONG;
}

const SHA_PLACEHOLDER = new Uint8Array(32).fill(0xab);

export async function planConversion(opts: PlanOptions): Promise<ConversionPlan> {
  await Promise.all([loadMph(), loadSafetensorsReader()]);
  const source = resolvePath(opts.source);
  const output = resolvePath(opts.output);
  const log = new ConversionLog();
  const warnings: string[] = [];

  const determinism = setupDeterminism(!!opts.assumeFtz, !!opts.assumeFma);
  const refused = outputRefusal(output, !!opts.force);
  if (refused) warnings.push(`${refused.message}: a real run would refuse it (${refused.hint})`);
  else if (isSeraPackage(output)) warnings.push(`--output ${output} holds a Sera package: a real run replaces it`);

  const roots = new SearchRoots(source, opts.originalSubdir ?? null, log);
  const configPath = roots.find('config.json', HINT_CONFIG);
  const store = openWeights(roots);
  try {
    const raw = parseConfigJson(configPath, readFile(configPath));
    opts.onConfig?.(raw, withDefaults(opts));
    const cfg = parseModelConfig(raw, configPath);
    let tensorBytesRead = 0; // a dry run must read no tensor data: counted to prove it
    const guard = countingStore(store, (_info, bytes) => { tensorBytesRead += bytes; });
    const tensors = new TensorSet(guard);
    const plan = planLayers(cfg, tensors);
    warnings.push(...plan.warnings);
    // the checkpoint tensors the stages read (taken before --quantize-experts puts its views over the same tensors)
    const used = new Set<FileTensor>();
    const readNames: (string | null)[] = plan.layers.flatMap((l) => ROLE_FIELDS.map(([field]) => l[field] as string | null));
    if (plan.moe) readNames.push(...plan.moe.routerW, ...plan.moe.routerB, plan.moe.embedding, plan.moe.unembedding);
    for (const n of readNames) if (n !== null) for (const f of fileTensors(tensors.get(n))) used.add(f);
    // as convert(): the float FFN weights are read through MXFP4 views (no data is read to make them)
    const quantized = opts.quantizeExperts === 'mxfp4' ? quantizeFfnWeights(plan.layers, tensors) : [];
    if (opts.quantizeExperts === 'mxfp4') plan.deviations.push('quantize-experts-mxfp4');

    const arrays: PlannedArray[] = [];
    const metadata: PyDict = new Map();
    const compat: PyDict = new Map();

    // tokenizer: the real stage, or a scan of a large tokenizer.json (plan-tokenizer.ts); the tokenizer file only
    const tok = planTokenizer(roots.roots, cfg.vocabSize, !!opts.strictTokenizer, opts.tokenizerFastThreshold);
    let tokInfo: ConversionPlan['tokenizer'] = null;
    let pieces: [Uint8Array, number][] | null = null;
    let maxPieceLength: number | null = null;
    let tokenizerExtra = 0;
    if (!tok && opts.strictTokenizer) throw missingTokenizerError();
    if (tok) {
      warnings.push(...tok.warnings);
      for (const a of tok.arrays) {
        arrays.push(planned(a.name, 'u8', [a.bytes]));
      }
      tokenizerExtra = tok.extraStateBytes;
      pieces = tok.pieces;
      maxPieceLength = tok.maxPieceLength;
      tokInfo = tok.info;
    } else {
      warnings.push(NO_TOKENIZER_WARNING);
    }
    metadata.set('tokenizer', tokenizerMetadata(tok, compat));

    const d = cfg.dModel;
    const L = plan.layers.length;
    const settings = resolveSettings(opts, d);
    const { topL, localR, localRv } = settings;

    // PRF (§9)
    for (const l of plan.layers) tensors.get(l.w_k)?.expectRank(2, 'the PRF diagonal (W_K)');
    for (const a of prfShapes(localR, d)) arrays.push(planned(a.name, a.dtype, a.shape));
    const sig2 = new Array<number>(Math.max(0, localR)).fill(FLOAT_LONG);
    metadata.set('attention', attentionMetadata(cfg, plan, localR, sig2));

    // overlays (§10): shapes from the first W_O
    const firstO = plan.layers.map((l) => tensors.get(l.w_o)).find((t) => t !== undefined);
    if (!firstO) throw noOverlayInput();
    firstO.expectRank(2, 'the attention overlays (W_O)');
    const oRows = firstO.rows;
    const oCols = oRows ? firstO.rowSize : 0;
    const { fd, width } = overlayDims(localR, localRv, oRows, oCols);
    if (localRv > fd) warnings.push(`overlays: rv ${localRv} exceeds the ${fd} rows of the feature basis; a real run fails (columns exceed row count)`);
    if (localRv > oCols) warnings.push(`overlays: rv ${localRv} exceeds the W_O width ${oCols}; a real run fails to build the value basis`);
    // the reference's truncating products: A·H needs fd ≤ cols(W_O), Uᵀ·(A·H) needs rows(W_O) ≤ cols(W_O)
    if (fd > oCols || (oCols > 0 && oRows > oCols)) {
      warnings.push(`overlays: W_O is [${oRows}, ${oCols}]; the overlay products need its rows (and r) within its columns: a real run fails`);
    }
    const hRows = fd;
    const uRows = oCols;
    for (const a of overlayShapes(hRows, uRows, width)) arrays.push(planned(a.name, a.dtype, a.shape));
    metadata.set('overlays', overlaysMetadata(settings, hRows, uRows));

    // FFN collapse (§11; MoE: stages/collapse-moe.ts): one key per (layer, feature); residuals estimated
    let residuals = 0;
    let weightFloat = FLOAT_LONG;
    let moeMeta: PyDict | null = null;
    const moe = plan.moe;
    if (moe) {
      const moeOpts = { topL, expertsPerToken: cfg.moeExpertsPerToken, swigluLimit: cfg.swigluLimit }; // as convert()
      const params = checkMoeParams(moe, d, moeOpts);
      const units = moe.experts * moe.intermediate;
      const keep = Math.min(topL, units);
      const share = onMxfp4Grid(tensors.get(plan.layers[0]!.w1)) ? POSITIVE_SHARE_MXFP4 : POSITIVE_SHARE_FLOAT;
      const candidates = Math.round((units - keep) * share);
      const perKey = Math.min(RESIDUALS_PER_KEY, candidates);
      residuals = L * Math.max(0, d) * perKey;
      moeMeta = moeMetadata(params, moeOpts, L * Math.max(0, d) * Math.max(0, candidates - perKey));
    } else {
      for (const l of plan.layers) {
        const W1 = tensors.get(l.w1);
        const W2 = tensors.get(l.w2);
        if (!W1 || !W2) continue;
        W2.expectRank(2, 'the FFN collapse (FFN_W2)');
        W1.expectRank(2, 'the FFN collapse (FFN_W1)');
        residuals += residualEstimate(W1, W2, d, topL);
        weightFloat = floatFor(W1);
      }
    }
    const nKeys = L * Math.max(0, d);
    const M = nKeys ? referenceBucketCount(nKeys) : 0;
    arrays.push(
      planned('linear_mphf', 'u8', M > 0 ? [M, 4] : [0], false, 'the reference table size; grows by 5% per rebuild when the seed search runs out'),
      planned('linear_keys', 'u64', [nKeys]), planned('linear_weights', 'f32', [nKeys]), planned('linear_bias', 'f32', [1]),
      planned('cuckoo_delta', 'u8', [residuals * 16], false, 'residual records estimated from the share of positive W1 entries outside the top-L'),
    );
    const keys: PyValue[] = [];
    const slots: [string, PyValue][] = [];
    for (let li = 0; li < L; li++) {
      for (let j = 0; j < d; j++) {
        const k = (BigInt(li) << 32n) | BigInt(j);
        keys.push(k);
        slots.push([k.toString(), int(keys.length - 1)]);
      }
    }
    const linMeta = dict({
      keys, weights: new Array<number>(nKeys).fill(weightFloat), bias: FLOAT_LONG, residuals: int(residuals), slot_lookup: dictOf(slots),
      salts: dict({ mphf: 'ab'.repeat(32), key: 'ab'.repeat(32) }),
    });
    if (moeMeta) linMeta.set('moe', moeMeta);
    metadata.set('linear', addLinearConfigFields(linMeta, cfg));

    // memory (§13): computed for real (it needs no weights)
    const mem = memoryCoefficients(L, cfg.ropeTheta);
    for (const a of mem.arrays) arrays.push(planned(a.name, a.dtype, a.shape));
    metadata.set('memory', mem.metadata);

    // bridge (§14; MoE: stages/bridge-moe.ts)
    const missing = moe ? [] : missingBridgeInputs({ layers: plan.layers, tensors });
    const bridgeOn = missing.length === 0;
    const V = bridgeTokens(cfg.vocabSize, d);
    if (bridgeOn) for (const a of bridgeShapes(V)) arrays.push(planned(a.name, a.dtype, a.shape));
    if (moe) {
      metadata.set('bridge', dict({
        enabled: true, status: 'enabled', mode: 'on', rule: 'sera-transfer-moe-bridge-v1', in_scale: FLOAT_LONG, out_scale: FLOAT_LONG,
        aggregates: moe.embedding ? (moe.unembedding ? 'embedding+unembedding' : 'embedding') : 'surrogate-fold',
        seed: 12345678901234567890n, legs: int(BRIDGE_LEGS), hub_bits: int(128),
        hub_experts: moe.routerW.map((w): PyValue => (w ? Array.from({ length: Math.min(16, moe.experts) }, (_, e) => int(e + 10)) : [])),
      }));
    } else if (bridgeOn) {
      metadata.set('bridge', dict({
        enabled: true, status: 'enabled', mode: 'on', in_scales: new Array<number>(V).fill(FLOAT_LONG), out_scales: new Array<number>(V).fill(FLOAT_LONG),
        seed: 12345678901234567890n, legs: int(BRIDGE_LEGS), layer_seeds: new Array<PyValue>(L).fill(12345678901234567890n),
      }));
    } else {
      warnings.push(`bridge disabled: ${missing.length} FFN tensor(s) missing (${missing.join(', ')})`);
      metadata.set('bridge', disabledBridge(missing).metadata);
    }

    // arrays/mxfp4/ (stages/mxfp4-shards.ts): byte copies of every blocks/scales pair, then the quantized FFN weights, with index.json
    const shards: PlannedShard[] = [];
    let shardBytes = 0;
    const entries: PyValue[] = [];
    let payload = 0;
    const layerOf = (base: string) => plan.layers.find((l) => l.w1 === base || l.w2 === base)?.name ?? null;
    /** One shard file and its index.json record (`source` is recorded for the byte copies only). */
    const part = (source: string, file: string, shape: readonly number[], copy: boolean) => {
      const bytes = product(shape);
      shards.push({ file, source, shape: [...shape], fileBytes: PAYLOAD_OFFSET + bytes });
      payload += bytes;
      return dict({ ...(copy ? { source } : {}), file, shape: shape.map((x) => int(x)), bytes: int(bytes), sha256: 'ab'.repeat(32) });
    };
    if (opts.mxfp4Shards ?? (plan.regime === 'moe' || quantized.length > 0)) {
      for (const pair of findMxfp4Pairs(guard)) {
        const copy = (info: TensorInfo) => part(info.name, shardPath(info.name), info.shape, true);
        entries.push(dict({
          tensor: pair.base, layer: layerOf(pair.base), experts: pair.blocks.shape.length >= 4 ? int(pair.blocks.shape[0]!) : null,
          blocks: copy(pair.blocks), scales: copy(pair.scales), max_scale: int(130), nan_scales: int(0),
        }));
      }
    }
    for (const q of quantized) {
      const name = q.source.info.name;
      const shapes = quantizedShapes(q.shape);
      entries.push(dict({
        tensor: name, layer: layerOf(name), experts: q.shape.length >= 3 ? int(q.shape[0]!) : null, encoder: ENCODER_RULE, source_dtype: q.source.dtype,
        blocks: part(name, shardPath(`${name}.blocks`), shapes.blocks, false), scales: part(name, shardPath(`${name}.scales`), shapes.scales, false),
        max_scale: int(130), nan_scales: int(0),
      }));
    }
    if (entries.length) {
      shardBytes = shards.reduce((s, x) => s + x.fileBytes, 0) + Buffer.byteLength(shardIndexText(entries), 'utf8');
      metadata.set('mxfp4_shards', shardsMetadata(entries.length, shards.length, payload, quantized.length));
    }

    const detMeta = determinismMetadata(determinism, plan.mxfp4Backends);
    metadata.set('determinism', detMeta);
    const trust = trustGate();
    metadata.set('trust_gate', trust.metadata);

    // manifest: built for real from placeholder digests (its size does not depend on them)
    const digests = new Map<string, ArrayDigestInfo>(arrays.map((a) => [a.name, { bytes: a.bytes, sha256: SHA_PLACEHOLDER }]));
    const manifestBytes = packageManifest(cfg, plan, settings, determinism, digests,
      { mphf: SHA_PLACEHOLDER, key: SHA_PLACEHOLDER, trustGate: trust.salt }, bridgeOn).length;
    detMeta.set('manifest_path', 'sera_manifest.bin');
    detMeta.set('manifest_digest', 'ab'.repeat(32));

    const snap = buildRuntimeSnapshot({
      pieces, maxPieceLength, dModel: d, valueDim: uRows, features: localR, tau: cfg.tau,
      whiteningSig2: sig2, linearKeyCount: nKeys, bridgeLegs: bridgeOn ? BRIDGE_LEGS : 0, determinism: detMeta,
    });
    if (snap.error) metadata.set('runtime_snapshot_error', runtimeErrorDict(snap.error));
    const compatMeta = compatMetadata(plan, cfg, compat);
    if (compatMeta) metadata.set('compat', compatMeta);

    const records: ArrayRecord[] = arrays.map((a) => ({ name: a.name, path: '', dtype: a.dtype, shape: a.shape, bytes: a.bytes, sha256: SHA_PLACEHOLDER }));
    const state = stateValue(cfg, plan, records, (...rel) => join(output, ...rel), metadata, snap.snapshot);
    const stateBytes = Buffer.byteLength(dumps(state) + '\n', 'utf8') + Math.round(tokenizerExtra);
    const logBytes = estimateLog(source, output, configPath, store, raw, tokInfo?.path ?? null, arrays, [...metadata.keys()], plan, warnings.length);

    const arraysBytes = arrays.reduce((s, a) => s + a.fileBytes, 0);
    const layers = plan.layers.map((l) => ({ name: l.name, roles: layerRoles(l, tensors) }));
    const shardSources = new Set(shards.map((x) => x.source));
    const usedNames = new Set([...used].map((t) => t.info.name));
    const readBytes = [...used].reduce((s, t) => s + t.info.byteLength, 0) +
      store.tensors().filter((t) => shardSources.has(t.name) && !usedNames.has(t.name)).reduce((s, t) => s + t.byteLength, 0);
    return {
      source, output, configPath,
      weights: { path: store.source, files: store.files.length, tensors: store.size, bytes: store.tensors().reduce((s, t) => s + t.byteLength, 0) },
      tokenizer: tokInfo,
      model: { family: cfg.family, dModel: d, nHeads: plan.nHeads, headDim: plan.headDim, vocabSize: cfg.vocabSize, numKeyValueHeads: plan.numKeyValueHeads, layers: L },
      settings,
      layers, ignored: [...plan.ignored], deviations: [...plan.deviations], warnings, arrays,
      shards,
      estimate: { arrays: arraysBytes, shards: shardBytes, manifest: manifestBytes, state: stateBytes, log: logBytes, total: arraysBytes + shardBytes + manifestBytes + stateBytes + logBytes },
      tensorBytesRead,
      checkpointBytes: readBytes,
    };
  } finally {
    store.close();
  }
}

/** conversion.log: the fixed stage messages, the discovery lines and the summary table, each with its timestamp prefix. */
function estimateLog(source: string, output: string, configPath: string, store: TensorStore, raw: PyDict, tokenizerPath: string | null,
  arrays: PlannedArray[], metadataKeys: string[], plan: LayerPlan, warnings: number): number {
  const lines: [string, string][] = [
    ['INFO', `Writing conversion log to ${join(output, 'conversion.log')}`], ['INFO', `Resolved source path: ${source}`],
    ['INFO', `Resolved output path: ${output}`], ['DEBUG', `Registered search root: ${source}`], ['DEBUG', `Probing ${configPath}`],
    ['INFO', `Located config.json at ${configPath}`], ['DEBUG', `Probing ${store.source}`], ['INFO', `Located model.safetensors at ${store.source}`],
    ['INFO', `Reading model configuration from ${configPath}`], ['DEBUG', `Model config keys: ${[...raw.keys()].join(', ')}`],
    ['DEBUG', `Initialised tensor store for ${store.source} (budget=536872960, max_layer=2048)`],
    ['INFO', `Loaded tokenizer assets (BPE) from ${tokenizerPath ?? ''}`], ['INFO', 'Generating tokenizer arrays'],
    ['INFO', 'Generating PRF arrays'], ['INFO', 'Computing attention overlays'], ['INFO', 'Collapsing FFN weights'],
    ['INFO', 'Computing memory coefficients'], ['INFO', 'Constructing bridge records'],
  ];
  for (const dv of plan.deviations) lines.push(['INFO', `Design-spec rule applied: ${dv}`]);
  for (let i = 0; i < warnings; i++) lines.push(['WARNING', 'x'.repeat(100)]);
  const summary: Summary = {
    source, output, manifestPath: join(output, 'sera_manifest.bin'), metadataKeys, logPath: join(output, 'conversion.log'),
    arrays: arrays.map((a) => ({ name: a.name, path: '', dtype: a.dtype, shape: a.shape, bytes: a.bytes, sha256: '' })),
    snapshots: [{ kind: 'json', path: join(output, 'sera_state.json') }], totalBytes: arrays.reduce((s, a) => s + a.bytes, 0),
  };
  for (const l of formatSummaryTable(summary).split('\n')) lines.push(['DEBUG', l]);
  const prefix = '2025-01-01 00:00:00,000 '.length + ' sera_transfer: '.length;
  return lines.reduce((s, [lvl, m]) => s + prefix + lvl.length + Buffer.byteLength(m, 'utf8') + 1, 0);
}

// ---- rendering ----

function fmtShape(s: readonly number[]): string {
  return s.length ? s.join(' \u00d7 ') : 'scalar';
}

/** The plan as text (for people) or as one JSON document (for scripts). */
export function renderPlan(p: ConversionPlan, format: 'table' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify({
      dry_run: true, source: p.source, output: p.output, config: p.configPath, weights: p.weights, tokenizer: p.tokenizer,
      model: p.model, settings: p.settings,
      layers: p.layers.map((l) => ({ name: l.name, roles: Object.fromEntries(l.roles.map((r) => [r.role, r.tensor === null ? null : { tensor: r.tensor, shape: r.shape, dtype: r.dtype }])) })),
      ignored_tensors: p.ignored, rules: p.deviations, warnings: p.warnings,
      arrays: p.arrays.map((a) => ({ name: a.name, dtype: a.dtype, shape: a.shape, bytes: a.bytes, file_bytes: a.fileBytes, exact: a.exact, ...(a.note ? { note: a.note } : {}) })),
      mxfp4_shards: p.shards.map((x) => ({ file: x.file, source: x.source, shape: x.shape, file_bytes: x.fileBytes })),
      estimated_output_bytes: p.estimate.total, estimate: p.estimate, checkpoint_bytes: p.checkpointBytes, tensor_bytes_read: p.tensorBytesRead,
    }, null, 2);
  }
  const out: string[] = [];
  const title = 'Sera Transfer Conversion Plan (dry run: nothing is written)';
  out.push(title, '='.repeat(title.length));
  out.push(`Source : ${p.source}`, `Output : ${p.output}`, `Config : ${p.configPath}`);
  out.push(`Weights: ${p.weights.path} (${p.weights.files} file${p.weights.files === 1 ? '' : 's'}, ${p.weights.tensors} tensors, ${formatBytes(p.weights.bytes)})`);
  out.push(`Tokenizer: ${p.tokenizer ? `${p.tokenizer.kind}, ${p.tokenizer.pieces} pieces, ${p.tokenizer.supported ? 'FST' : 'wrapper mode (no FST)'} (${p.tokenizer.path})` : 'none (feature OFF)'}`);
  const m = p.model;
  out.push(`Model  : family ${m.family}, d_model ${m.dModel}, ${m.nHeads} heads × ${m.headDim}, ` +
    `${m.numKeyValueHeads === null ? '' : `${m.numKeyValueHeads} kv heads, `}vocab ${m.vocabSize}, ${m.layers} layers`);
  const s = p.settings;
  out.push(`Settings: r ${s.r} (uses ${s.localR}), rv ${s.rv} (uses ${s.localRv}), topL ${s.topL}`);
  out.push('', 'Layers and roles:');
  for (const l of p.layers) {
    out.push(`  ${l.name}`);
    for (const r of l.roles) {
      out.push(`    ${r.role.padEnd(7)} ${r.tensor === null ? '(absent)' : r.tensor}${r.tensor === null ? '' : `  [${fmtShape(r.shape)}] ${r.dtype}`}`);
    }
  }
  out.push('', p.ignored.length ? `Ignored tensors (${p.ignored.length}, no role maps them):` : 'Ignored tensors: none');
  for (const n of p.ignored) out.push(`  ${n}`);
  if (p.deviations.length) out.push(`Design-spec rules applied: ${p.deviations.join(', ')}`);
  if (p.warnings.length) {
    out.push('Warnings:');
    for (const w of p.warnings) out.push(`  ${w}`);
  }
  out.push('', 'Arrays:');
  const nw = Math.max(4, ...p.arrays.map((a) => a.name.length));
  out.push(`  ${'Name'.padEnd(nw)}  DType  ${'Shape'.padEnd(14)} ${'Bytes'.padStart(14)}`);
  out.push('  ' + '-'.repeat(nw + 2 + 5 + 2 + 14 + 1 + 14 + 2));
  for (const a of p.arrays) {
    out.push(`  ${a.name.padEnd(nw)}  ${a.dtype.padEnd(5)}  ${fmtShape(a.shape).padEnd(14)} ${String(a.bytes).padStart(14)}${a.exact ? '' : ' ~'}`);
  }
  if (p.shards.length) {
    out.push('', `MXFP4 shards (${p.shards.length} files under arrays/mxfp4/, plus index.json):`);
    for (const sh of p.shards) out.push(`  ${sh.file.slice('arrays/mxfp4/'.length).padEnd(nw)}  u8     ${fmtShape(sh.shape).padEnd(14)} ${String(sh.fileBytes - 128).padStart(14)}`);
  }
  const notes = [...new Set(p.arrays.filter((a) => a.note).map((a) => `${a.name}: ${a.note}`))];
  for (const n of notes) out.push(`  ~ ${n}`);
  const e = p.estimate;
  out.push('', `Estimated output: ${e.total} bytes (${formatBytes(e.total)}): arrays ${e.arrays}${e.shards ? `, arrays/mxfp4 ${e.shards}` : ''}, manifest ${e.manifest}, sera_state.json ~${e.state}, conversion.log ~${e.log}`);
  out.push(`Checkpoint bytes a conversion reads: ${p.checkpointBytes} (${formatBytes(p.checkpointBytes)}); read for this plan: ${p.tensorBytesRead}`);
  return out.join('\n');
}

