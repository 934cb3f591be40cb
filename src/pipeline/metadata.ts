// The settings, the metadata sections and the manifest that convert() writes and the dry run
// (plan.ts) predicts: built here once, so the plan describes what a conversion
// writes.
import { dict, int, type PyDict, type PyValue } from '../format/pyvalue.js';
import { sha256, toHexDigest } from '../format/hash.js';
import { NotFoundError } from '../errors.js';
import { unableToLoadMessage } from '../stages/tokenizer/index.js';
import type { ParsedConfig } from '../model/config.js';
import type { LayerPlan } from '../model/layer-plan.js';
import { encodeManifest } from '../format/manifest.js';
import { buildManifest, type ArrayDigestInfo, type ManifestInputs } from '../format/manifest-build.js';
import { optInt } from './state.js';
import type { Determinism } from './determinism.js';

/** --r, --rv and --topL when not given. */
export const DEFAULT_SETTINGS = { r: 64, rv: 8, topL: 8 } as const;

export interface Requested {
  r?: number | undefined;
  rv?: number | undefined;
  topL?: number | undefined;
}

export interface Settings {
  r: number;
  rv: number;
  topL: number;
  /** r clamped to d_model: the PRF feature count and overlay rank. */
  localR: number;
  /** rv clamped to localR. */
  localRv: number;
}

export function withDefaults(o: Requested): { r: number; rv: number; topL: number } {
  return { r: o.r ?? DEFAULT_SETTINGS.r, rv: o.rv ?? DEFAULT_SETTINGS.rv, topL: o.topL ?? DEFAULT_SETTINGS.topL };
}

export function resolveSettings(o: Requested, dModel: number): Settings {
  const s = withDefaults(o);
  const localR = Math.min(s.r, dModel);
  return { ...s, localR, localRv: Math.min(s.rv, localR) };
}

// ---- tokenizer ----

export const NO_TOKENIZER_WARNING = 'No tokenizer.json or tokenizer.model found: the tokenizer feature is OFF (no tokenizer arrays)';

/** --strict-tokenizer without a tokenizer: the reference's abort. */
export function missingTokenizerError(): NotFoundError {
  return new NotFoundError(unableToLoadMessage([]), 'add tokenizer.json or tokenizer.model next to config.json');
}

/** What the tokenizer stage reports (null: no tokenizer). */
export interface TokenizerOutcome {
  metadata: PyDict;
  supported: boolean;
  mphRetries: number[];
}

/** metadata.tokenizer, with its entries in `compat` (wrapper mode, MPH retries, or absent). */
export function tokenizerMetadata(tok: TokenizerOutcome | null, compat: PyDict): PyDict {
  if (!tok) {
    compat.set('tokenizer', 'absent');
    return dict({ status: 'absent', mode: 'off', reason: 'no tokenizer.json or tokenizer.model in the search roots' });
  }
  if (!tok.supported) compat.set('tokenizer', 'wrapper-no-fst');
  if (tok.mphRetries.some((n) => n > 0)) compat.set('tokenizer_mph_retries', tok.mphRetries.map((n) => int(n)));
  return tok.metadata;
}

// ---- sections from config.json ----

/** metadata.attention: the PRF features, tau, σ² and the attention fields config.json gives. */
export function attentionMetadata(cfg: ParsedConfig, plan: LayerPlan, features: number, sig2: number[]): PyDict {
  const attention = dict({ features: int(features), tau: cfg.tau, whitening_sig2: sig2 });
  const optional: [string, PyValue | null][] = [
    ['rope_theta', cfg.ropeTheta], ['num_key_value_heads', optInt(plan.numKeyValueHeads)],
    ['sliding_window', optInt(cfg.slidingWindow)], ['initial_context_length', optInt(cfg.initialContextLength)],
    ['rope_scaling_factor', cfg.ropeScalingFactor], ['rope_ntk_alpha', cfg.ropeNtkAlpha], ['rope_ntk_beta', cfg.ropeNtkBeta],
  ];
  for (const [k, v] of optional) if (v !== null) attention.set(k, v);
  return attention;
}

/** Adds the FFN fields config.json gives to metadata.linear. */
export function addLinearConfigFields(linear: PyDict, cfg: ParsedConfig): PyDict {
  const optional: [string, PyValue | null][] = [
    ['num_experts', optInt(cfg.numExperts)], ['experts_per_token', optInt(cfg.expertsPerToken)],
    ['intermediate_size', optInt(cfg.intermediateSize)], ['swiglu_limit', cfg.swigluLimit],
  ];
  for (const [k, v] of optional) if (v !== null) linear.set(k, v);
  return linear;
}

export function overlaysMetadata(s: Settings, rows: number, cols: number): PyDict {
  return dict({ rank: int(s.localR), rank_value: int(s.localRv), rows: int(rows), cols: int(cols) });
}

/** metadata.compat: the design-spec rules applied and what else departs from the reference (null: nothing). */
export function compatMetadata(plan: LayerPlan, cfg: ParsedConfig, compat: PyDict): PyDict | null {
  if (!plan.deviations.length && !plan.ignored.length && !compat.size) return null;
  const c = dict({ rules: [...plan.deviations] });
  if (plan.ignored.length) c.set('ignored_tensors', [...plan.ignored].sort());
  for (const [k, v] of compat) c.set(k, v);
  if (plan.nHeads !== cfg.nHeads) c.set('config_declared', dict({ n_heads: int(cfg.nHeads) }));
  return c;
}

/** The disabled trust gate: its manifest salt and metadata.trust_gate. */
export function trustGate(): { salt: Uint8Array; metadata: PyDict } {
  const salt = sha256('trust::disabled');
  return {
    salt,
    metadata: dict({
      status: 'disabled',
      salts: dict({ manifest: toHexDigest(salt), profile: toHexDigest(sha256('trust-profile::none')) }),
    }),
  };
}

/** sera_manifest.bin for the arrays (name → digest, in write order). */
export function packageManifest(cfg: ParsedConfig, plan: LayerPlan, s: Settings, det: Determinism, arrays: Map<string, ArrayDigestInfo>,
  salts: ManifestInputs['salts'], bridgeOn: boolean): Uint8Array {
  return encodeManifest(buildManifest({
    arrays, dModel: cfg.dModel, nHeads: plan.nHeads, headDim: plan.headDim, tau: cfg.tau, r: s.localR, rv: s.localRv,
    vocabSize: cfg.vocabSize || 16, assumeFma: det.assumeFma, assumeFtz: det.assumeFtz, salts, bridgeState: bridgeOn,
  }));
}
