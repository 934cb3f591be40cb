// The conversion, in the reference's fixed stage order: discovery → config →
// tokenizer → PRF → overlays → FFN collapse → memory → bridge → manifest →
// runtime snapshot → state → summary. Everything is written into a staging
// folder and moved into place only after a self-check.
import { readFile, mkdirp, writeFile, SyncQueue } from './io/fs.js';
import { StagedOutput, type StageOptions } from './io/staged-output.js';
import type { TensorStore } from './io/shards.js';
import { loadSafetensorsReader } from './io/safetensors.js';
import { writeJsonFile } from './format/json-file.js';
import { int, type PyDict } from './format/pyvalue.js';
import type { Rendered } from './format/pyjson.js';
import { sha256, toHexDigest } from './format/hash.js';
import { ArrayFileWriter, writeArrayFile, type ArrayRecord } from './format/array-file.js';
import type { ArrayDigestInfo } from './format/manifest-build.js';
import { formatSummaryTable, type Summary } from './format/summary.js';
import { loadCrc32c } from './kernels/crc32c.js';
import { loadMph } from './kernels/mph.js';
import { loadMxfp4 } from './kernels/mxfp4.js';
import { loadMoe } from './kernels/moe.js';
import { loadDense } from './kernels/dense.js';
import { loadGaussian } from './kernels/gaussian.js';
import { loadLinalg } from './kernels/linalg.js';
import { parseModelConfig } from './model/config.js';
import { planLayers } from './model/layer-plan.js';
import { TensorSet } from './model/tensors.js';
import { ConversionLog } from './log.js';
import { SeraError } from './errors.js';
import { resolvePath } from './io/paths.js';
import { SearchRoots, HINT_CONFIG, openWeights, parseConfigJson } from './pipeline/discover.js';
import { setupDeterminism, determinismMetadata } from './pipeline/determinism.js';
import { renderStateAhead, stateValue } from './pipeline/state.js';
import {
  resolveSettings, withDefaults, NO_TOKENIZER_WARNING, missingTokenizerError, tokenizerMetadata, attentionMetadata, addLinearConfigFields, overlaysMetadata,
  compatMetadata, trustGate, packageManifest,
} from './pipeline/metadata.js';
import { loadTokenizerAssets, tokenizerArrays } from './stages/tokenizer/index.js';
import { computePrf } from './stages/prf.js';
import { computeOverlays, type OverlaysResult } from './stages/overlays.js';
import { collapseFfn, Records, type CollapseResult } from './stages/collapse.js';
import { memoryCoefficients } from './stages/memory.js';
import { bridgeRecords, referenceBridgeLegs } from './stages/bridge.js';
import { collapseMoe } from './stages/collapse-moe.js';
import { startBridgeWorker, takeOutcome, type BridgeJob } from './stages/bridge-parallel.js';
import type { BridgeWorker } from './stages/bridge-spawn.js';
import { collapseMoeParallel, moeWorkerCount } from './stages/collapse-moe-parallel.js';
import { bridgeMoe } from './stages/bridge-moe.js';
import { findMxfp4Pairs, validateMxfp4Pairs, writeMxfp4Shards } from './stages/mxfp4-shards.js';
import { quantizeFfnWeights, ENCODER_RULE } from './stages/quantize.js';
import { buildRuntimeSnapshot, runtimeErrorDict } from './stages/snapshot/index.js';
import { selfCheck } from './verify.js';
import type { ArrayOut, ModelView } from './stages/types.js';
import { ProgressTracker, type ProgressListener } from './pipeline/read-progress.js';

export interface ConvertOptions {
  source: string;
  output: string;
  r?: number;
  rv?: number;
  topL?: number;
  originalSubdir?: string | null;
  verbose?: boolean;
  assumeFtz?: boolean;
  assumeFma?: boolean;
  /** Keep the reference's abort when the vocabulary fails Sardinas–Patterson or no tokenizer exists. */
  strictTokenizer?: boolean;
  /** Copy the MXFP4 tensors to arrays/mxfp4/ (default: on for mixture-of-experts checkpoints). */
  mxfp4Shards?: boolean;
  /** Accept 0xFF (NaN) MXFP4 scales. */
  allowNanScales?: boolean;
  /** 'mxfp4': encode float FFN/expert weights to MXFP4 shards; every stage then reads the decoded values. */
  quantizeExperts?: 'mxfp4';
  /** Replace a non-empty --output that is not a Sera package. */
  force?: boolean;
  log?: ConversionLog;
  /** Also write the full log (DEBUG and up) to OUTPUT/logs/conversion-debug.log. */
  debugLogs?: boolean;
  /** Called once config.json is parsed, with the r/rv/topL the run uses (the CLI's profile warning). */
  onConfig?: (raw: PyDict, settings: { r: number; rv: number; topL: number }) => void;
  /** Called when a stage starts (progress display). */
  onStage?: (stage: string) => void;
  /** Stage starts and checkpoint reads (bytes, layer) for a progress display. */
  onProgress?: ProgressListener;
  /**
   * Awaited before each stage, before the commit and (`within` = true) between the
   * tensors or layers of the long stages; throws to stop the conversion (Ctrl-C, see cli/signals.ts).
   */
  checkpoint?: (stage: string, within?: boolean) => Promise<void> | void;
  /**
   * A bridge worker the caller started before calling (the CLI starts one while it
   * loads the converter): used when the bridge runs on a worker, stopped otherwise.
   */
  bridgeWorker?: BridgeWorker | null;
}

export interface ConvertResult {
  summary: Summary;
  log: ConversionLog;
}

const CONFIG_KEY_ORDER = ['architectures', 'attention_bias', 'attention_dropout', 'eos_token_id', 'experts_per_token', 'head_dim', 'hidden_act',
  'hidden_size', 'initial_context_length', 'initializer_range', 'intermediate_size', 'layer_types', 'max_position_embeddings', 'model_type',
  'num_attention_heads', 'num_experts_per_tok', 'num_hidden_layers', 'num_key_value_heads', 'num_local_experts', 'output_router_logits',
  'pad_token_id', 'quantization_config', 'rms_norm_eps', 'rope_scaling', 'rope_theta', 'router_aux_loss_coef', 'sliding_window',
  'swiglu_limit', 'tie_word_embeddings', 'transformers_version', 'use_cache', 'vocab_size'];

function configKeys(raw: PyDict): string {
  if (raw.size === 0) return '<none>';
  const keys = [...CONFIG_KEY_ORDER.filter((k) => raw.has(k)), ...[...raw.keys()].filter((k) => !CONFIG_KEY_ORDER.includes(k))];
  return keys.join(', ');
}

export async function convert(opts: ConvertOptions): Promise<ConvertResult> {
  await Promise.all([loadCrc32c(), loadMph(), loadSafetensorsReader(), loadMxfp4(), loadMoe(), loadDense(), loadGaussian(), loadLinalg()]);
  const source = resolvePath(opts.source);
  const output = resolvePath(opts.output);
  const log = opts.log ?? new ConversionLog({ verbose: opts.verbose });
  const tracker = opts.onProgress ? new ProgressTracker(opts.onProgress) : null;
  const stage = async (name: string) => { opts.onStage?.(name); tracker?.stage(name); await opts.checkpoint?.(name); };

  const determinism = setupDeterminism(!!opts.assumeFtz, !!opts.assumeFma);
  const out = new StagedOutput(output, { force: opts.force } satisfies StageOptions);
  const syncs = new SyncQueue(); // array flushes overlap the stages that follow
  const logPath = out.finalPath('conversion.log');
  let store: TensorStore | null = null;
  let bridgeJob: BridgeJob | null = null;
  try {
    log.info(`Writing conversion log to ${logPath}`);
    log.info(`Resolved source path: ${source}`);
    log.info(`Resolved output path: ${output}`);
    await stage('discover');
    const roots = new SearchRoots(source, opts.originalSubdir ?? null, log);
    const configPath = roots.find('config.json', HINT_CONFIG);
    store = openWeights(roots);
    log.info(`Reading model configuration from ${configPath}`);
    const configBytes = readFile(configPath);
    const raw = parseConfigJson(configPath, configBytes);
    opts.onConfig?.(raw, withDefaults(opts));
    log.detail(`Model config keys: ${configKeys(raw)}`);
    const maxBytes = store.tensors().reduce((m, t) => Math.max(m, t.byteLength), 0);
    const totalBytes = store.tensors().reduce((s, t) => s + t.byteLength, 0);
    log.debug(`Initialised tensor store for ${store.source} (budget=${maxBytes + 536870912}, max_layer=${maxBytes})`);

    const assets = loadTokenizerAssets(roots.roots);
    if (assets) log.info(`Loaded tokenizer assets (${assets.kind}) from ${assets.provenance.path}`);
    else if (opts.strictTokenizer) throw missingTokenizerError();
    else log.warn(NO_TOKENIZER_WARNING);

    const cfg = parseModelConfig(raw, configPath);
    const tensors = new TensorSet(tracker ? tracker.wrap(store) : store);
    const plan = planLayers(cfg, tensors);
    tracker?.setLayers(plan.layers, tensors);
    for (const w of plan.warnings) log.warn(w);
    if (plan.ignored.length) log.warn(`Ignoring ${plan.ignored.length} tensor(s) no role maps: ${plan.ignored.join(', ')}`);
    for (const d of plan.deviations) log.info(`Design-spec rule applied: ${d}`);
    const quantized = opts.quantizeExperts === 'mxfp4' ? quantizeFfnWeights(plan.layers, tensors) : [];
    if (opts.quantizeExperts === 'mxfp4') {
      log.info(`Quantizing ${quantized.length} FFN weight tensor(s) to MXFP4 (${ENCODER_RULE})`);
      plan.deviations.push('quantize-experts-mxfp4');
    }
    // MXFP4 shards are validated before anything is computed or written
    const shardChecks = (opts.mxfp4Shards ?? (plan.regime === 'moe' || quantized.length > 0))
      ? validateMxfp4Pairs(store, findMxfp4Pairs(store), !!opts.allowNanScales)
      : [];
    if (shardChecks.length || quantized.length) tracker?.expect('mxfp4-shards');

    const settings = resolveSettings(opts, cfg.dModel);
    const { topL, localR, localRv } = settings;
    const view: ModelView = { layers: plan.layers, tensors, dModel: cfg.dModel };
    // the reference bridge and the overlays depend on no other stage: on a second core they
    // overlap the collapse (measured at 512×4: with the overlays too the two threads are even;
    // PRF as well leaves the main thread waiting for the worker)
    bridgeJob = plan.regime === 'reference'
      ? startBridgeWorker(store.source, configBytes, configPath, totalBytes,
        { quantizeExperts: opts.quantizeExperts, started: opts.bridgeWorker, countReads: tracker !== null, overlays: { r: localR, rv: localRv } })
      : null;
    opts.bridgeWorker?.release(); // not taken: the bridge runs on this thread
    mkdirp(out.path('arrays'));
    const records: ArrayRecord[] = [];
    const store1 = (a: ArrayOut) => {
      records.push(writeArrayFile(a.name, out.path('arrays', `${a.name}.bin`), a.dtype, a.shape, a.payload, syncs));
    };
    const metadata: PyDict = new Map();
    const compat: PyDict = new Map();

    log.info('Generating tokenizer arrays');
    await stage('tokenizer');
    let pieces: [Uint8Array, number][] | null = null;
    let maxPieceLength: number | null = null;
    if (assets) {
      const tok = tokenizerArrays(assets, { vocabSize: cfg.vocabSize, strict: !!opts.strictTokenizer });
      for (const w of tok.warnings) log.warn(w);
      for (const a of tok.arrays) store1({ name: a.name, dtype: 'u8', shape: [a.data.length], payload: a.data });
      pieces = tok.pieces.map((p, i) => [p, tok.ids[i]!]);
      maxPieceLength = tok.maxPieceLength;
      metadata.set('tokenizer', tokenizerMetadata(tok, compat));
    } else {
      metadata.set('tokenizer', tokenizerMetadata(null, compat));
    }

    // with a worker, the overlays run there during the collapse; either way PRF's and the
    // overlays' arrays are stored just before the collapse's, so the records keep the stage order
    log.info('Generating PRF arrays');
    await stage('prf');
    const prf = computePrf(view, localR);
    log.info('Computing attention overlays');
    await stage('overlays');
    const ovHere = bridgeJob?.overlays ? null : computeOverlays(view, localR, localRv);
    let attention: Promise<OverlaysResult> | null = null;
    const storeAttention = () => (attention ??= (async () => {
      prf.arrays.forEach(store1);
      metadata.set('attention', attentionMetadata(cfg, plan, localR, prf.sig2));
      const ov = ovHere ?? await takeOutcome(bridgeJob!.overlays!, () => computeOverlays(view, localR, localRv));
      ov.arrays.forEach(store1);
      metadata.set('overlays', overlaysMetadata(settings, ov.rows, ov.cols));
      return ov;
    })());

    log.info('Collapsing FFN weights');
    await stage('collapse');
    const moeOpts = { topL, expertsPerToken: cfg.moeExpertsPerToken, swigluLimit: cfg.swigluLimit };
    let lin: CollapseResult & { keyWeights?: Float64Array }; // keyWeights: MoE only (the MoE bridge reads them)
    let stopped = false; // the checkpoint hook stopped the run (Ctrl-C): nothing else is waited for
    const between = async () => {
      try {
        await opts.checkpoint?.('collapse', true);
      } catch (e) {
        stopped = true;
        throw e;
      }
      const failed = bridgeJob?.overlaysError(); // the worker's overlays failed: no use collapsing on
      if (failed) throw failed;
    };
    try {
      if (plan.moe) {
        const nw = moeWorkerCount(plan.layers.length, 3 * plan.moe.experts * plan.moe.intermediate * plan.moe.hidden);
        if (nw > 1) log.debug(`Collapsing ${plan.layers.length} expert layers on ${nw} worker threads`);
        lin = (nw > 1 ? await collapseMoeParallel(view, plan.moe, moeOpts, store.source, nw, { between }) : null) ?? collapseMoe(view, plan.moe, moeOpts);
        await storeAttention();
        lin.arrays.forEach(store1);
      } else {
        // the residual records go straight to their file: unbounded in the reference's rule
        const cuckoo = new ArrayFileWriter('cuckoo_delta', out.path('arrays', 'cuckoo_delta.bin'), 'u8', [0], syncs);
        try {
          const residuals = new Records((chunk) => cuckoo.write(chunk));
          lin = await collapseFfn(view, topL, { residuals, between });
          residuals.flush();
          await storeAttention();
          lin.arrays.forEach(store1);
          records.push(cuckoo.finish([residuals.count * 16])); // after linear_bias, as the reference orders them
        } catch (e) {
          cuckoo.abandon();
          throw e;
        }
      }
    } catch (e) {
      if (!stopped) await storeAttention(); // an error of the overlays (on the worker) comes first in stage order
      throw e;
    }
    const ov = await storeAttention();
    metadata.set('linear', addLinearConfigFields(lin.metadata, cfg));
    if (lin.mphRetries > 0) compat.set('linear_mph_retries', int(lin.mphRetries));

    log.info('Computing memory coefficients');
    await stage('memory');
    const mem = memoryCoefficients(plan.layers.length, cfg.ropeTheta);
    mem.arrays.forEach(store1);
    metadata.set('memory', mem.metadata);

    // the finish's parts that do not depend on the bridge, done while the worker still
    // computes it: the runtime snapshot (built for the bridge's legs, known from the plan)
    // and the state file's settled parts, rendered
    const detMeta = determinismMetadata(determinism, plan.mxfp4Backends);
    const snapshotFor = (bridgeLegs: number) => buildRuntimeSnapshot({
      pieces, maxPieceLength, dModel: cfg.dModel, valueDim: ov.cols, features: localR, tau: cfg.tau,
      whiteningSig2: prf.sig2, linearKeyCount: lin.keyCount, bridgeLegs, determinism: detMeta,
    });
    let ahead: { legs: number; snap: ReturnType<typeof buildRuntimeSnapshot>; rendered: Rendered } | null = null;
    if (bridgeJob) {
      const legs = referenceBridgeLegs(view);
      const snap = snapshotFor(legs);
      ahead = { legs, snap, rendered: renderStateAhead(metadata, snap.error ? null : snap.snapshot) };
    }

    log.info('Constructing bridge records');
    await stage('bridge');
    const waitFrom = performance.now();
    const fromWorker = bridgeJob ? await bridgeJob.result : null;
    if (bridgeJob?.doneAt != null) {
      // when tuning threads: a worker that finishes long before it is needed has room for more work
      const ms = (t: number) => `${Math.round(t)} ms`;
      log.debug(`Bridge worker: started ${ms(bridgeJob.startedAt - bridgeJob.spawnedAt)} before its job, ${ms(bridgeJob.doneAt - bridgeJob.startedAt)} on the job, ${bridgeJob.doneAt <= waitFrom ? `done ${ms(waitFrom - bridgeJob.doneAt)} before it was needed` : `waited for ${ms(bridgeJob.doneAt - waitFrom)}`}`);
    }
    if (fromWorker) for (const r of bridgeJob!.reads) tracker?.recordRead(r.name, r.bytes);
    const here = () => bridgeRecords(view, cfg.vocabSize);
    const br = plan.moe && lin.keyWeights
      ? bridgeMoe(view, plan.moe, lin.keyWeights, cfg.vocabSize)
      : bridgeJob ? await takeOutcome(bridgeJob.result, here) : here();
    metadata.set('bridge', br.metadata);
    if (br.enabled) br.arrays.forEach(store1);
    else log.info('Bridge disabled (missing_tensors); skipping bridge arrays');

    const shardRecords: ArrayRecord[] = [];
    if (shardChecks.length || quantized.length) {
      await stage('mxfp4-shards');
      log.info(`Writing ${shardChecks.length + quantized.length} MXFP4 tensor(s) to arrays/mxfp4/`);
      const prefixOf = new Map(plan.layers.flatMap((l) => [[l.w1, l.name], [l.w2, l.name]] as [string, string][]));
      const shards = await writeMxfp4Shards(store, shardChecks, out.path('arrays'), (base) => prefixOf.get(base) ?? null, quantized,
        async () => { await opts.checkpoint?.('mxfp4-shards', true); });
      metadata.set('mxfp4_shards', shards.metadata);
      shardRecords.push(...shards.records);
    }

    metadata.set('determinism', detMeta);
    const trust = trustGate();
    metadata.set('trust_gate', trust.metadata);

    await stage('manifest');
    const digests = new Map<string, ArrayDigestInfo>(records.map((x) => [x.name, { bytes: x.bytes, sha256: x.sha256 }]));
    const manifestBytes = packageManifest(cfg, plan, settings, determinism, digests,
      { mphf: lin.salts.mphf, key: lin.salts.key, trustGate: trust.salt }, br.enabled);
    writeFile(out.path('sera_manifest.bin'), manifestBytes, syncs);
    detMeta.set('manifest_path', 'sera_manifest.bin');
    detMeta.set('manifest_digest', toHexDigest(sha256(manifestBytes)));

    await stage('snapshot');
    const snap = ahead?.legs === br.legs ? ahead.snap : snapshotFor(br.legs);
    if (snap.error) {
      log.warn(`Failed to materialise Sera runtime snapshot; continuing without runtime state (${snap.error.type}: ${snap.error.message})`);
      metadata.set('runtime_snapshot_error', runtimeErrorDict(snap.error));
    }
    const compatMeta = compatMetadata(plan, cfg, compat);
    if (compatMeta) metadata.set('compat', compatMeta);

    const manifestPath = out.finalPath('sera_manifest.bin');
    const state = stateValue(cfg, plan, records, (...rel) => out.finalPath(...rel), metadata, snap.snapshot);
    await stage('state');
    writeJsonFile(out.path('sera_state.json'), state, syncs, ahead?.rendered);

    const summary: Summary = {
      source, output,
      arrays: records.map((x) => ({
        name: x.name, path: out.finalPath('arrays', `${x.name}.bin`), dtype: x.dtype, shape: x.shape, bytes: x.bytes, sha256: toHexDigest(x.sha256),
      })),
      manifestPath,
      metadataKeys: [...metadata.keys()].sort(),
      snapshots: [{ kind: 'json', path: out.finalPath('sera_state.json') }],
      totalBytes: records.reduce((s, x) => s + x.bytes, 0),
      logPath,
    };
    for (const line of formatSummaryTable(summary).split('\n')) log.detail(line);

    await stage('verify');
    const problems = selfCheck(out.staging, [...records, ...shardRecords], manifestBytes);
    if (problems.length) {
      throw new SeraError(`self-check of the written package failed: ${problems.join('; ')}`, 'this is a bug in sera-transfer; please report it with --debug output');
    }
    const logText = log.text(); // the debug log holds the same records (conversion.log keeps DEBUG too)
    writeFile(out.path('conversion.log'), logText, syncs);
    if (opts.debugLogs) {
      mkdirp(out.path('logs'));
      writeFile(out.path('logs', 'conversion-debug.log'), logText, syncs);
    }
    await syncs.settle(); // every file is on disk before the package is moved into place
    await opts.checkpoint?.('commit');
    out.commit();
    tracker?.finish();
    return { summary, log };
  } catch (err) {
    if (err instanceof SeraError) log.error(`Conversion failed: ${err.message}`);
    await syncs.settle().catch(() => undefined); // the files are discarded: only their descriptors matter
    out.discard();
    await bridgeJob?.cancel();
    throw err;
  } finally {
    store?.close();
    opts.bridgeWorker?.release();
  }
}
