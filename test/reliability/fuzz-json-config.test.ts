// Property tests for the JSON parser (json.loads semantics) and the model config
// parser on its output: random text, generated JSON and mutated corpus files
// give a JsonParseError/ConfigError or a value, never another exception or a
// hang; where standard JSON is involved the parser agrees with JSON.parse.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseJson, JsonParseError } from '../../src/format/json-parse.js';
import type { PyValue } from '../../src/format/pyvalue.js';
import { parseModelConfig } from '../../src/model/config.js';
import { ConfigError } from '../../src/errors.js';
import { setup } from './helpers.js';
import { corpusDir } from '../helpers/corpus.js';
import { mutateJsonText, runProperty, textMutations } from './fuzz-util.js';

let configs: string[] = [];
let jsonFiles: string[] = [];

test.before(setup('fuzz', () => {
  const list = (name: string) => execFileSync('find', [corpusDir(), '-name', name, '-path', '*input*'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  const valid = (t: string) => { try { parseConfigText(t); return true; } catch { return false; } };
  configs = [...new Set(list('config.json').map((f) => readFileSync(f, 'utf8')))].filter(valid); // some corpus configs are broken on purpose
  jsonFiles = [...configs, ...new Set(list('tokenizer.json').map((f) => readFileSync(f, 'utf8')))].filter((t) => t.length < 200_000);
}));

/** The parsed value as JSON.parse would give it (Map → object, bigint → number), for comparison. */
function plain(v: PyValue): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[k] = plain(x);
    return o;
  }
  return v;
}

/** Canonical text of a plain value with sorted keys (JSON.parse reorders integer-like keys). */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`).join(',')}}`;
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  return JSON.stringify(v);
}

/** Deepest bracket nesting outside strings, and the longest run of digits without '.', 'e' (an integer literal, roughly). */
function shape(text: string): { depth: number; longestInt: number; pythonTokens: boolean } {
  let depth = 0;
  let max = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) { if (c === '\\') i++; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true; else if (c === '[' || c === '{') max = Math.max(max, ++depth); else if (c === ']' || c === '}') depth--;
  }
  const longestInt = Math.max(0, ...[...text.matchAll(/\d+/g)].map((m) => m[0].length));
  return { depth: max, longestInt, pythonTokens: /NaN|Infinity/.test(text) };
}

/** Parses `text`; agrees with JSON.parse where both are defined and explains every disagreement. */
function parseAndCompare(text: string): void {
  let std: { ok: true; v: unknown } | { ok: false } = { ok: false };
  try { std = { ok: true, v: JSON.parse(text) }; } catch { /* not standard JSON */ }
  let ours: PyValue;
  try {
    ours = parseJson(text);
  } catch (e) {
    if (std.ok && e instanceof JsonParseError) {
      const s = shape(text);
      // refusals JSON.parse does not make: Python's nesting and int-digit limits
      if (s.depth <= 1000 && s.longestInt <= 4300) throw new Error(`refused standard JSON: ${(e as Error).message}`);
    }
    throw e;
  }
  if (!std.ok) {
    if (!shape(text).pythonTokens) throw new Error('accepted text JSON.parse refuses (without NaN/Infinity)');
    return;
  }
  if (canon(plain(ours)) !== canon(std.v)) throw new Error(`value differs from JSON.parse: ${canon(plain(ours)).slice(0, 200)} vs ${canon(std.v).slice(0, 200)}`);
}

test('JSON parser: generated JSON agrees with JSON.parse', () => {
  runProperty('json (generated)', fc.json({ maxDepth: 6 }), [JsonParseError], parseAndCompare, { numRuns: 2000 });
});

test('JSON parser: random text and mutated corpus JSON', () => {
  const arb = fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 60, unit: fc.constantFrom(...'{}[]":,.-+eE0123456789 \t\nnulltruefalseNaInfity\\u"abc') }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60, unit: 'binary' }) },
    { weight: 3, arbitrary: fc.tuple(fc.nat({ max: 1000 }), textMutations(4)).map(([i, ops]) => mutateJsonText(jsonFiles[i % jsonFiles.length]!, ops)) },
  );
  const s = runProperty('json (random and mutated)', arb, [JsonParseError], parseAndCompare, { numRuns: 3000 });
  assert.ok(s.accepted > 0 && s.refused > 0);
});

test('JSON parser: deep nesting and huge literals are refused quickly, not crashed on', () => {
  const cases = ['['.repeat(100_000), '{"a":'.repeat(50_000), `${'['.repeat(1002)}${']'.repeat(1002)}`, '9'.repeat(5000), `-${'1'.repeat(4301)}`,
    `{"vocab_size": ${'7'.repeat(1_000_000)}}`, `"${'\\u00e9'.repeat(100_000)}`, `[${'0,'.repeat(200_000)}0`];
  for (const text of cases) {
    const t0 = performance.now();
    assert.throws(() => parseJson(text), (e: unknown) => e instanceof JsonParseError, text.slice(0, 20));
    assert.ok(performance.now() - t0 < 1000, `${text.slice(0, 20)}…: ${(performance.now() - t0).toFixed(0)} ms`);
  }
  assert.equal(parseJson(`${'['.repeat(1000)}${']'.repeat(1000)}`) instanceof Array, true);
  assert.is(parseJson('1'.repeat(4300)), BigInt('1'.repeat(4300)));
  assert.is(parseJson(`1${'0'.repeat(5000)}.0`), Infinity); // floats have no digit limit in Python either
});

// ---- config.json ----------------------------------------------------------

const CONFIG_KEYS = ['hidden_size', 'd_model', 'n_embd', 'model_dim', 'num_attention_heads', 'n_heads', 'num_heads', 'n_head', 'head_dim',
  'attention_head_size', 'num_key_value_heads', 'num_kv_heads', 'vocab_size', 'tau', 'rope_theta', 'num_hidden_layers', 'n_layers', 'num_layers',
  'num_experts', 'experts_per_token', 'intermediate_size', 'ffn_dim', 'swiglu_limit', 'sliding_window', 'initial_context_length',
  'rope_scaling_factor', 'rope_ntk_alpha', 'rope_ntk_beta', 'layers', 'model_type', 'architectures', 'sera_model_family', 'model_family', 'x'];

const scalar = fc.oneof(
  fc.constantFrom('0', '1', '-1', '4', '16', '64', '2880', '1e308', '1.5', '-0.0', 'NaN', 'Infinity', '-Infinity', '9007199254740993',
    '18446744073709551616', '123456789012345678901234567890', 'true', 'false', 'null', '""', '" 12 "', '"1_000"', '"0x10"', '"1e3"',
    '"inf"', '"nan"', '"-Infinity"', '"12.5"', '"llama"', '"  "', '[]', '{}', '["LlamaForCausalLM"]', '"\\u0000"'),
  fc.integer().map(String), fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : String(d))),
);
const layerEntry = fc.dictionary(fc.constantFrom('name', 'W_Q', 'W_K', 'W_V', 'W_O', 'FFN_W1', 'FFN_W2', 'FFN_B1', 'FFN_B2', 'y'), scalar, { maxKeys: 10 })
  .map((d) => `{${Object.entries(d).map(([k, v]) => `"${k}": ${v}`).join(', ')}}`);
const configValue = fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(fc.oneof(layerEntry, scalar), { maxLength: 3 }).map((a) => `[${a.join(', ')}]`) });
// usually a plausible base (so deeper fields are reached), then random fields (a repeated key overrides, as in Python)
const base = fc.constantFrom('', '"hidden_size": 16, "num_attention_heads": 4, ', '"d_model": 32, "n_heads": 4, "head_dim": 8, "vocab_size": 48, ',
  '"hidden_size": 2880, "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64, ');
const configText = fc.tuple(base, fc.array(fc.tuple(fc.constantFrom(...CONFIG_KEYS), configValue), { maxLength: 8 }))
  .map(([b, entries]) => `{${b}${entries.map(([k, v]) => `"${k}": ${v}`).join(', ')}}`.replace(/, }$/, '}'));

function parseConfigText(text: string): void {
  const cfg = parseModelConfig(parseJson(text), 'config.json');
  for (const [k, v] of [['dModel', cfg.dModel], ['nHeads', cfg.nHeads], ['headDim', cfg.headDim], ['vocabSize', cfg.vocabSize]] as const) {
    if (!Number.isSafeInteger(v)) throw new Error(`${k} = ${v} is not a safe integer`);
  }
  if (typeof cfg.tau !== 'number') throw new Error('tau is not a number');
}

test('config parser: generated configs with every field and hostile values', () => {
  const s = runProperty('config (generated)', configText, [ConfigError, JsonParseError], parseConfigText, { numRuns: 3000 });
  assert.ok(s.accepted > 0 && s.refused > 0);
});

test('config parser: mutated corpus config.json files', () => {
  for (const c of configs) parseConfigText(c); // sanity: every corpus config parses
  const arb = fc.tuple(fc.nat({ max: 1000 }), textMutations(3)).map(([i, ops]) => mutateJsonText(configs[i % configs.length]!, ops));
  const s = runProperty('config (mutated corpus)', arb, [ConfigError, JsonParseError], parseConfigText, { numRuns: 2000 });
  assert.ok(s.accepted > 0 && s.refused > 0);
});

test.run();
