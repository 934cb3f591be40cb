// Tokenizer stage at real scale: a 200k-piece byte-level BPE tokenizer.json
// (gpt-oss / o200k size), loaded and run through the stage, with timings.
//
//   npx tsc -p tsconfig.json && npm run build:wasm   # once
//   node bench/tokenizer-bpe.mjs [--pieces 200000] [--max-len 128] [--seed 1]
//   node bench/tokenizer-bpe.mjs --file /path/to/tokenizer.json   # a real one
//
// Without --file the vocabulary is synthesised deterministically (no network):
// the 256 byte tokens, then BPE-style merges (each new token = the
// concatenation of two existing tokens, drawn with a skew toward frequent
// short ones over an English-like byte ranking) plus rare long runs up to
// --max-len bytes, and a few special added_tokens. With the defaults this
// resembles o200k: mean ~7 bytes, largest length groups ~24k pieces. Like every real byte-level BPE it fails
// Sardinas–Patterson, so the stage takes the wrapper fallback (no FST); the
// FST is timed separately on the same vocabulary.
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMph } from '../dist/src/kernels/mph.js';
import { loadTokenizerAssets } from '../dist/src/stages/tokenizer/assets.js';
import { tokenizerArrays } from '../dist/src/stages/tokenizer/arrays.js';
import { buildVocabIndex } from '../dist/src/stages/tokenizer/vocab-index.js';
import { sardinasPatterson } from '../dist/src/stages/tokenizer/sardinas-patterson.js';
import { fstText } from '../dist/src/stages/tokenizer/fst.js';
import { byteLevelChar } from '../dist/src/stages/tokenizer/byte-level.js';
import { dumps } from '../dist/src/format/pyjson.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const PIECES = Number(opt('pieces', 200000));
const MAX_LEN = Number(opt('max-len', 128));
const SEED = Number(opt('seed', 1));
const FILE = opt('file', null);

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32 -> [0, 1)
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Byte tokens ranked by an English-like frequency, then the rest. */
function byteRanking() {
  const common = ' etaoinshrdlcumwfgypbvkjxqz' + 'ETAOINSHRDLCUMWFGYPBVKJXQZ' + '.,\n\'"-0123456789()/:;!?_=*#<>[]{}@$%&+\\|~`^\t';
  const order = [];
  const seen = new Set();
  for (const ch of common) { const b = ch.charCodeAt(0); if (!seen.has(b)) { seen.add(b); order.push(b); } }
  for (let b = 0xc0; b < 0x100; b++) if (!seen.has(b)) { seen.add(b); order.push(b); } // UTF-8 lead/continuation-ish
  for (let b = 0; b < 256; b++) if (!seen.has(b)) { seen.add(b); order.push(b); }
  return order;
}

function synthesise(n, maxLen, seed) {
  const rand = rng(seed);
  const tokens = []; // Uint8Array per id
  const have = new Set();
  const key = (b) => Buffer.from(b).toString('latin1');
  for (let b = 0; b < 256; b++) { const t = Uint8Array.of(b); tokens.push(t); have.add(key(t)); }
  const rank = byteRanking();
  // Merge operands: index into a growing "by frequency" list (bytes by rank, then merges in order).
  const freq = rank.map((b) => tokens[b]);
  let attempts = 0;
  while (tokens.length < n) {
    attempts++;
    const pick = (skew) => freq[Math.floor(freq.length * Math.pow(rand(), skew))];
    let t;
    if (attempts % 1009 === 0) {
      // Long runs like real vocabularies' indentation / rule tokens ("    ", "----"), up to maxLen.
      const unit = pick(6);
      const reps = Math.max(2, Math.floor((maxLen / 2 + rand() * maxLen / 2) / unit.length));
      t = new Uint8Array(Math.min(maxLen, unit.length * reps));
      for (let i = 0; i < t.length; i++) t[i] = unit[i % unit.length];
    } else {
      // Mostly frequent (early, short) operands; every 97th merge draws uniformly.
      const uniform = attempts % 97 === 0;
      const a = pick(uniform ? 1 : 5);
      const b = pick(uniform ? 1 : attempts % 3 === 0 ? 3 : 5);
      if (a.length + b.length > maxLen) continue;
      t = new Uint8Array(a.length + b.length);
      t.set(a);
      t.set(b, a.length);
    }
    const k = key(t);
    if (have.has(k)) continue;
    have.add(k);
    tokens.push(t);
    freq.push(t);
  }
  return tokens;
}

function tokenizerJson(tokens) {
  const map = Array.from({ length: 256 }, (_, b) => byteLevelChar(b));
  const parts = [];
  tokens.forEach((t, id) => {
    let s = '';
    for (const b of t) s += map[b];
    parts.push(`${JSON.stringify(s)}: ${id}`);
  });
  const specials = ['<|endoftext|>', '<|startoftext|>', '<|return|>', '<|message|>'];
  const added = specials.map((c, i) => ({ id: tokens.length + i, content: c, special: true }));
  return `{"version": "1.0", "added_tokens": ${JSON.stringify(added)}, "model": {"type": "BPE", "vocab": {${parts.join(', ')}}, "merges": []}}`;
}

const ms = (t0) => (performance.now() - t0).toFixed(0).padStart(6) + ' ms';
const row = (label, value) => console.log(`${label.padEnd(44)} ${value}`);

let dir = null;
let path = FILE;
if (!path) {
  const t0 = performance.now();
  const tokens = synthesise(PIECES, MAX_LEN, SEED);
  dir = mkdtempSync(join(tmpdir(), 'sera-tok-bench-'));
  path = join(dir, 'tokenizer.json');
  writeFileSync(path, tokenizerJson(tokens));
  row(`synthesise ${PIECES} pieces (max ${MAX_LEN} B)`, ms(t0));
}
const root = path.slice(0, path.lastIndexOf('/'));
row('tokenizer.json size', `${(statSync(path).size / 1e6).toFixed(1)} MB`);

try {
  await loadMph();
  let t0 = performance.now();
  const assets = loadTokenizerAssets([root]);
  row('load (discover, parse, byte-level decode, sha)', ms(t0));
  const lens = assets.pieces.map((p) => p.length);
  const total = lens.reduce((a, b) => a + b, 0);
  const hist = new Map();
  for (const l of lens) hist.set(l, (hist.get(l) ?? 0) + 1);
  const biggest = [...hist].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([l, c]) => `${c}@${l}B`).join(' ');
  row('vocabulary', `${assets.pieces.length} pieces, ${total} bytes, max ${lens.reduce((a, b) => Math.max(a, b), 0)} B, mean ${(total / lens.length).toFixed(2)} B; largest length groups ${biggest}`);

  t0 = performance.now();
  const index = buildVocabIndex(assets.pieces);
  row('vocab index (sort + trie)', ms(t0));
  t0 = performance.now();
  const sp = sardinasPatterson(index);
  row('Sardinas–Patterson', `${ms(t0)}  (${sp.status}${sp.status === 'ambiguous' ? `, level ${sp.level}, level sizes ${sp.levelSizes.join('/')}` : `, ${sp.levels.length} levels`})`);
  t0 = performance.now();
  const fst = fstText(assets.pieces, assets.ids, index);
  row('FST text (timed even though not written)', `${ms(t0)}  (${(fst.length / 1e6).toFixed(1)} MB)`);

  t0 = performance.now();
  const result = tokenizerArrays(assets, { vocabSize: assets.pieces.length });
  row('whole stage (non-strict)', `${ms(t0)}  (${result.arrays.length} arrays, supported=${result.supported})`);
  const retried = result.mphRetries.map((r, i) => [i + 1, r]).filter(([, r]) => r > 0);
  row('per-length MPH rebuilds', retried.length ? retried.map(([k, r]) => `len ${k}: ${r}`).join(', ') : 'none');
  for (const w of result.warnings) console.log('  warning: ' + w.slice(0, 160));

  t0 = performance.now();
  const text = dumps(result.metadata);
  row('dumps(metadata.tokenizer)', `${ms(t0)}  (${(text.length / 1e6).toFixed(1)} MB)`);

  t0 = performance.now();
  let strictError = '';
  try { tokenizerArrays(assets, { vocabSize: assets.pieces.length, strict: true }); } catch (e) { strictError = e.message; }
  row('strict mode (aborts at SP)', `${ms(t0)}  (${strictError})`);
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
