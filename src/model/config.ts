// config.json → the model fields the stages use, with every alias, default and
// coercion of the reference's ModelConfig.from_dict (ALGORITHMS.md §4).
import type { PyDict, PyValue } from '../format/pyvalue.js';
import { ConfigError } from '../errors.js';
import { pyInt, pyFloat, pyRepr, pyStr, truthy, PyConversionError } from './pybuiltins.js';

/** An explicit `layers` entry of the Sera schema (all values str()-ed). */
export interface ExplicitLayer {
  name: string;
  w_q: string;
  w_k: string;
  w_v: string;
  w_o: string;
  w1: string;
  w2: string;
  b1: string;
  b2: string;
}

export interface ParsedConfig {
  raw: PyDict;
  dModel: number;
  nHeads: number;
  /** Before fused-QKV inference (which may replace it). */
  headDim: number;
  numKeyValueHeads: number | null;
  vocabSize: number;
  tau: number;
  ropeTheta: number | null;
  numHiddenLayers: number | null;
  numExperts: number | null;
  expertsPerToken: number | null;
  /** experts_per_token, else an integer num_experts_per_tok (the Hugging Face name): what the MoE collapse uses. */
  moeExpertsPerToken: number | null;
  intermediateSize: number | null;
  swigluLimit: number | null;
  slidingWindow: number | null;
  initialContextLength: number | null;
  ropeScalingFactor: number | null;
  ropeNtkAlpha: number | null;
  ropeNtkBeta: number | null;
  family: string;
  explicitLayers: ExplicitLayer[] | null;
}

const DOC = 'docs/operations/sera-transfer.md';

function asError(e: unknown, field: string, value: PyValue): never {
  if (e instanceof PyConversionError) {
    throw new ConfigError(`Model config field '${field}' must be an integer, got ${pyRepr(value)}`, `fix '${field}' in config.json (an integer is expected)`);
  }
  throw e;
}

/** Python's own conversion message, prefixed with the field so the user knows what to fix. */
function fieldError(e: unknown, field: string, expected: string): never {
  if (e instanceof PyConversionError) {
    throw new ConfigError(`Model config field '${field}': ${e.message}`, `fix '${field}' in config.json (${expected} is expected)`);
  }
  throw e;
}

function toSafeInt(n: bigint, field: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ConfigError(`Model config field '${field}' is out of range: ${n}`, `fix '${field}' in config.json`);
  }
  return Number(n);
}

function coerceInt(field: string, v: PyValue | undefined): number | null {
  if (v === undefined || v === null) return null;
  try {
    return toSafeInt(pyInt(v), field);
  } catch (e) {
    return asError(e, field, v);
  }
}

function coerceFloat(field: string, v: PyValue | undefined): number | null {
  if (v === undefined || v === null) return null;
  try {
    return pyFloat(v);
  } catch (e) {
    if (e instanceof PyConversionError) {
      throw new ConfigError(`Model config field '${field}' must be a float, got ${pyRepr(v)}`, `fix '${field}' in config.json (a number is expected)`);
    }
    throw e;
  }
}

export function detectFamily(raw: PyDict): string {
  for (const key of ['sera_model_family', 'model_family', 'model_type']) {
    const c = raw.get(key);
    if (typeof c === 'string' && c.trim()) return c.trim();
  }
  const arch = raw.get('architectures');
  // Python: any non-empty Sequence (a str counts: its first character)
  if (Array.isArray(arch) && arch.length) {
    const a = arch[0];
    if (typeof a === 'string' && a.trim()) return a.trim();
  } else if (typeof arch === 'string' && arch.length) {
    const a = arch[0]!;
    if (a.trim()) return a.trim();
  }
  return 'default';
}

export function parseModelConfig(data: PyValue, path = 'config.json'): ParsedConfig {
  if (!(data instanceof Map)) {
    throw new ConfigError(`${path} must hold a JSON object, found ${Array.isArray(data) ? 'an array' : typeof data === 'string' ? 'a string' : 'a scalar'}`,
      'point --source at the checkpoint folder that holds the model\'s config.json');
  }
  const raw = data;
  const has = (k: string) => raw.has(k);
  const select = (...keys: string[]): PyValue | undefined => {
    for (const k of keys) if (has(k)) return raw.get(k)!;
    return undefined;
  };
  const orSel = (first: PyValue | undefined, ...keys: string[]) => (truthy(first) ? first : select(...keys));

  const dModel = coerceInt('d_model', orSel(raw.get('d_model'), 'hidden_size', 'n_embd', 'model_dim', 'dim_model'));
  const nHeads = coerceInt('n_heads', orSel(raw.get('n_heads'), 'num_attention_heads', 'num_heads', 'n_head', 'decoder_attention_heads'));
  const kvHeads = coerceInt('num_key_value_heads', select('num_key_value_heads', 'num_kv_heads', 'n_kv_heads'));
  let headDim = coerceInt('head_dim', orSel(raw.get('head_dim'), 'head_dim', 'attention_head_size'));

  if (nHeads === 0) throw new ConfigError("Model config field 'n_heads' must be greater than zero", 'fix num_attention_heads in config.json');
  if (headDim === null && dModel !== null && nHeads !== null && nHeads) {
    if (pyMod(dModel, nHeads) === 0) headDim = pyDiv(dModel, nHeads);
    else if (kvHeads && pyMod(dModel, kvHeads) === 0) headDim = pyDiv(dModel, kvHeads);
  }
  if (headDim === null && dModel !== null && nHeads !== null) {
    throw new ConfigError(
      "Model config does not provide 'head_dim'. Provide the Sera schema (d_model/n_heads/head_dim) or a Hugging Face config with " +
      `hidden_size/num_attention_heads/head_dim. See ${DOC} for details.`,
      'add "head_dim" to config.json');
  }
  if (dModel === null || nHeads === null || headDim === null) {
    throw new ConfigError(
      'Model config must define d_model, n_heads, and head_dim (or provide their Hugging Face equivalents such as hidden_size, ' +
      `num_attention_heads, and head_dim). See ${DOC} for the expected schema.`,
      'check that --source points at the model\'s own config.json');
  }

  let vocabSize: number;
  try {
    const v = raw.has('vocab_size') ? raw.get('vocab_size')! : 0n;
    vocabSize = toSafeInt(pyInt(truthy(v) ? v : 0n), 'vocab_size');
  } catch (e) {
    return fieldError(e, 'vocab_size', 'an integer');
  }
  let tau: number;
  try {
    const t = raw.has('tau') ? raw.get('tau')! : 1.0;
    if (t === null) throw new ConfigError("Model config field 'tau' must be a number, got None", 'remove "tau": null from config.json or give a number');
    tau = pyFloat(t);
  } catch (e) {
    return fieldError(e, 'tau', 'a number');
  }
  let ropeTheta: number | null = null;
  const rt = raw.get('rope_theta');
  if (rt !== undefined && rt !== null) {
    try {
      ropeTheta = pyFloat(rt);
    } catch (e) {
      return fieldError(e, 'rope_theta', 'a number');
    }
  }

  let numHiddenLayers = coerceInt('num_hidden_layers', raw.get('num_hidden_layers'));
  const numExperts = coerceInt('num_experts', raw.get('num_experts'));
  const expertsPerToken = coerceInt('experts_per_token', raw.get('experts_per_token'));
  let intermediateSize = coerceInt('intermediate_size', raw.get('intermediate_size'));
  const swigluLimit = coerceFloat('swiglu_limit', raw.get('swiglu_limit'));
  const slidingWindow = coerceInt('sliding_window', raw.get('sliding_window'));
  const initialContextLength = coerceInt('initial_context_length', raw.get('initial_context_length'));
  const ropeScalingFactor = coerceFloat('rope_scaling_factor', raw.get('rope_scaling_factor'));
  const ropeNtkAlpha = coerceFloat('rope_ntk_alpha', raw.get('rope_ntk_alpha'));
  const ropeNtkBeta = coerceFloat('rope_ntk_beta', raw.get('rope_ntk_beta'));
  if (numHiddenLayers === null && has('n_layers')) numHiddenLayers = coerceInt('n_layers', raw.get('n_layers'));
  if (numHiddenLayers === null && has('num_layers')) numHiddenLayers = coerceInt('num_layers', raw.get('num_layers'));
  const hfK = raw.get('num_experts_per_tok');
  const moeExpertsPerToken = expertsPerToken ?? (typeof hfK === 'bigint' ? Number(hfK) : null);
  if (intermediateSize === null && has('ffn_dim')) intermediateSize = coerceInt('ffn_dim', raw.get('ffn_dim'));

  return {
    raw, dModel, nHeads, headDim, numKeyValueHeads: kvHeads, vocabSize, tau, ropeTheta, numHiddenLayers,
    numExperts, expertsPerToken, moeExpertsPerToken, intermediateSize, swigluLimit, slidingWindow, initialContextLength,
    ropeScalingFactor, ropeNtkAlpha, ropeNtkBeta, family: detectFamily(raw), explicitLayers: explicitLayers(raw, path),
  };
}

/** Python `list(data.get("layers", []) or [])` turned into layer entries. */
function explicitLayers(raw: PyDict, path: string): ExplicitLayer[] | null {
  const v = raw.get('layers');
  if (!truthy(v)) return null;
  if (!Array.isArray(v)) {
    throw new ConfigError(`${path}: 'layers' must be a list of layer objects`, 'remove "layers" to infer layers from tensor names, or give a list');
  }
  return v.map((entry, idx) => {
    if (!(entry instanceof Map)) {
      throw new ConfigError(`${path}: layers[${idx}] must be an object with W_K, W_O, FFN_W1, FFN_W2, FFN_B1 and FFN_B2`, 'fix the "layers" list in config.json');
    }
    const req = (k: string): string => {
      if (!entry.has(k)) {
        throw new ConfigError(`${path}: layers[${idx}] is missing '${k}'`, 'every explicit layer needs W_K, W_O, FFN_W1, FFN_W2, FFN_B1 and FFN_B2');
      }
      return pyStr(entry.get(k)!);
    };
    const wk = req('W_K');
    return {
      name: entry.has('name') ? pyStr(entry.get('name')!) : `layer_${idx}`,
      w_q: entry.has('W_Q') ? pyStr(entry.get('W_Q')!) : wk,
      w_k: wk,
      w_v: entry.has('W_V') ? pyStr(entry.get('W_V')!) : wk,
      w_o: req('W_O'),
      w1: req('FFN_W1'),
      w2: req('FFN_W2'),
      b1: req('FFN_B1'),
      b2: req('FFN_B2'),
    };
  });
}

/** Python floor division and modulo for ints. */
export function pyDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
export function pyMod(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && (m < 0) !== (b < 0) ? m + b : m;
}
