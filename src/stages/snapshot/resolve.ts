// From converter outputs to the runtime configuration the reference builds
// (ALGORITHMS.md §16 step 3), and every check the runtime would run on it, in
// the order Python runs them: the first failure is what the reference records
// as {type: <exception class>, message: str(exc)}.
import { bytesTag, type PyDict } from '../../format/pyvalue.js';
import { pyMax, pyMin } from '../../numeric/python.js';
import { bytesRepr } from '../../model/pybuiltins.js';
import { byteOrderKey } from '../tokenizer/vocab-index.js';
import { BRIDGE_DEFAULTS, LINEAR_DEFAULTS, TOKENIZER_DEFAULTS, type RuntimeOverrides } from './runtime-config.js';

/** A Python exception as the converter records it. */
export interface RuntimeException {
  type: string;
  message: string;
}

export interface ResolveInputs {
  /**
   * Tokenizer pieces (bytes, id) in id order, or null when the conversion has no
   * tokenizer. null and [] behave alike: the runtime then substitutes its
   * byte-level default vocabulary {bytes([i]): i for i in range(256)}.
   */
  pieces: [Uint8Array, number][] | null;
  /** metadata.tokenizer.max_piece_length (null -> the runtime default 4) */
  maxPieceLength: number | null;
  /** cfg.d_model */
  dModel: number;
  /** len(overlays_U) (rows = cols_O); 0 falls back to dModel (`len(...) or cfg.d_model`) */
  valueDim: number;
  /** local r = min(r, d_model) */
  features: number;
  /** cfg.tau */
  tau: number;
  /** metadata.attention.whitening_sig2 doubles; may be empty (beta_floor computed here) */
  whiteningSig2: readonly number[];
  /** len(metadata.linear.keys) (capacity = max(this, 512) computed here) */
  linearKeyCount: number;
  /** metadata.bridge.legs: 2 enabled, 0 disabled (hub_window = max(8, legs*4) computed here) */
  bridgeLegs: number;
}

export type Resolved = { ok: true; overrides: RuntimeOverrides } | { ok: false; error: RuntimeException };

const valueError = (message: string): Resolved => ({ ok: false, error: { type: 'ValueError', message } });

/** `max(1e-3, min(float(v) for v in (sig2 or [1.0])))` with Python's NaN behaviour. */
export function betaFloor(sig2: readonly number[]): number {
  const values = sig2.length > 0 ? sig2 : [1.0];
  let m = values[0]!;
  for (let i = 1; i < values.length; i++) m = pyMin(m, values[i]!);
  return pyMax(1e-3, m);
}

/**
 * `{piece: token for piece, token in pieces}`: later duplicates overwrite the
 * value but keep the first position. An empty dict makes TokenizerConfig fall
 * back to its byte-level default `{bytes([i]): i for i in range(256)}`.
 */
function vocabularyEntries(pieces: [Uint8Array, number][] | null): Map<string, { piece: Uint8Array; id: number }> {
  const vocab = new Map<string, { piece: Uint8Array; id: number }>();
  for (const [piece, id] of pieces ?? []) {
    const key = bytesTag(piece);
    const prev = vocab.get(key);
    if (prev) prev.id = id;
    else vocab.set(key, { piece, id });
  }
  if (vocab.size === 0) {
    for (let i = 0; i < 256; i++) {
      const piece = Uint8Array.of(i);
      vocab.set(bytesTag(piece), { piece, id: i });
    }
  }
  return vocab;
}

/**
 * _validate_prefix_free: the first sorted piece that prefixes the next one, sorted
 * and compared as byteOrderKey strings (201k pieces: 0.5 s → 0.1 s).
 */
function prefixViolation(pieces: Uint8Array[]): RuntimeException | null {
  const keys = pieces.map(byteOrderKey);
  const sorted = keys.slice().sort(); // no comparator: UTF-16 code unit order, here byte order
  // In bytes order every extension of p follows p directly (before any non-
  // extension), so the reference's nested scan stops at an adjacent pair.
  for (let i = 0; i + 1 < sorted.length; i++) {
    if (sorted[i + 1]!.startsWith(sorted[i]!)) {
      const piece = pieces[keys.indexOf(sorted[i]!)]!, other = pieces[keys.indexOf(sorted[i + 1]!)]!;
      return {
        type: 'ValueError',
        message: `Tokenizer vocabulary must be prefix-free: ${bytesRepr(piece)} is a prefix of ${bytesRepr(other)}`,
      };
    }
  }
  return null;
}

export function resolveRuntimeConfig(inp: ResolveInputs): Resolved {
  // 1. dataclasses.replace(TokenizerConfig, ...) -> TokenizerConfig.__post_init__
  const t = TOKENIZER_DEFAULTS;
  const maxPieceLength = inp.maxPieceLength ?? t.maxPieceLength;
  if (maxPieceLength <= 0) return valueError('max_piece_length must be positive');
  if (t.editWindow < maxPieceLength) return valueError('edit_window must be >= max_piece_length');
  // (normalizer_states, max_event_bytes, max_event_tokens >= max_piece_length hold
  // for the defaults once edit_window >= max_piece_length.)
  const vocab = vocabularyEntries(inp.pieces);
  const prefix = prefixViolation([...vocab.values()].map((e) => e.piece));
  if (prefix) return { ok: false, error: prefix };

  // 2. dataclasses.replace(PRFAttentionConfig, ...) -> PRFAttentionConfig.__post_init__
  // (gamma is the constant 0.95; beta_floor >= 1e-3 by construction.)
  const valueDim = inp.valueDim || inp.dModel;
  const floor = betaFloor(inp.whiteningSig2);
  if (inp.tau <= 0) return valueError('tau must be positive');
  if (floor <= 0) return valueError('beta_floor must be positive');
  if (inp.features <= 0) return valueError('features must be positive');
  if (inp.dModel <= 0) return valueError('dim must be positive');
  if (valueDim <= 0) return valueError('value_dim must be positive');

  // 3. linear and bridge replacements only grow positive defaults: no check can fail.
  const linearCapacity = Math.max(inp.linearKeyCount, LINEAR_DEFAULTS.capacity);
  const hubWindow = Math.max(BRIDGE_DEFAULTS.hubWindow, inp.bridgeLegs * 4);

  // 4. Sera(config) -> TokenizerState.__post_init__: ids must be unique. (Its
  // per-length MPH build could raise after 65536 failed seeds per bucket; with
  // two choices over a 1.23n table that does not happen and is not modelled.
  // The Sardinas-Patterson pass cannot fail on a prefix-free vocabulary.)
  const ids = new Set<number>();
  for (const e of vocab.values()) ids.add(e.id);
  if (ids.size !== vocab.size) return valueError('Vocabulary ids must be unique');

  const vocabulary: PyDict = new Map();
  for (const [key, e] of vocab) vocabulary.set(key, BigInt(e.id));
  return {
    ok: true,
    overrides: {
      maxPieceLength,
      vocabulary,
      dim: inp.dModel,
      valueDim,
      features: inp.features,
      tau: inp.tau,
      betaFloor: floor,
      linearCapacity,
      hubWindow,
    },
  };
}
