// The tokenizer part of a dry-run plan. Small vocabularies go through the real
// tokenizer stage (exact arrays and metadata). Large tokenizer.json
// vocabularies (real models have 100k–200k pieces, where the stage takes
// seconds) are scanned with the native JSON parser instead: piece lengths,
// ids and texts give the T_k tables exactly, and the metadata's size through
// its JSON layout; this path is taken only when the vocabulary is provably not
// uniquely decodable (a multi-byte piece spelled by single-byte pieces, as in
// every byte-level BPE), so no FST is written, as the real stage decides.
import { TokenizerError } from '../errors.js';
import { readFile, fileSize } from '../io/fs.js';
import { dictOf, type PyDict, type PyValue } from '../format/pyvalue.js';
import { byteLevelByte } from '../stages/tokenizer/byte-level.js';
import { loadTokenizerAssets, tokenizerArrays, tokenizerCandidates } from '../stages/tokenizer/index.js';
import { referenceBucketCount } from '../stages/mphf.js';

export interface TokenizerPlan {
  /** u8 arrays in write order: name and payload bytes. */
  arrays: { name: string; bytes: number }[];
  /** metadata.tokenizer (on the fast path: with its big lists emptied). */
  metadata: PyDict;
  /** Bytes the emptied lists add to sera_state.json (0 on the exact path). */
  extraStateBytes: number;
  pieces: [Uint8Array, number][] | null;
  maxPieceLength: number | null;
  supported: boolean;
  mphRetries: number[];
  warnings: string[];
  info: { kind: string; path: string; pieces: number; supported: boolean } | null;
  /** True when sizes were estimated from the scan (no FST, MPH tables at the reference size). */
  estimated: boolean;
}

/** Vocabularies above this size take the scan path (when it applies). */
export const FAST_TOKENIZER_THRESHOLD = 32768;

/** Fewest bytes a vocabulary entry takes in tokenizer.json (`"":0,`): a smaller file cannot exceed the threshold. */
const MIN_ENTRY_BYTES = 5;

/** Expected decimal digits of a uniform u64 (the MPH key hashes). */
const U64_DIGITS = 19.4;
/** Mean digits of the MPH seeds (measured on a 201k-piece vocabulary: 1.08). */
const SEED_DIGITS = 1.08;

/** Length of a non-empty `[...]` of items with the given text lengths, whose container sits at JSON depth `depth` (indent=2). */
export function listBytes(depth: number, itemLens: Iterable<number>): number {
  let n = 0;
  let sum = 0;
  for (const l of itemLens) { n++; sum += l; }
  if (n === 0) return 2;
  return 1 + n * (1 + 2 * (depth + 1)) + sum + (n - 1) + 1 + 2 * depth + 1;
}

/** A two-element list `[a, b]` at `depth`. */
function pairBytes(depth: number, a: number, b: number): number {
  return listBytes(depth, [a, b]);
}

/** json.dumps(s, ensure_ascii=True) length. */
export function jsonStringBytes(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x08 || c === 0x0c) n += 2;
    else if (c < 0x20 || c > 0x7e) n += 6; // json's ESCAPE_ASCII: everything outside ' '..'~'
    else n += 1;
  }
  return n;
}

const digits = (n: number) => String(n).length;

interface Scan {
  kind: string;
  /** Pieces by position, ids and texts in ascending id order. */
  pieces: Uint8Array[];
  ids: number[];
  texts: string[];
  /** Entries of model.vocab (the config's added_tokens = pieces - this). */
  vocabSize: number;
}

// A value skipper over the JSON text, so only model.vocab and added_tokens are
// parsed (the merges list is as large as the vocabulary and is not needed).
function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

function skipString(s: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const c = s.charCodeAt(j);
    if (Number.isNaN(c)) throw new SyntaxError('unterminated string');
    if (c === 0x5c) j += 2;
    else if (c === 0x22) return j + 1;
    else j++;
  }
}

function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i);
  if (c !== 0x7b && c !== 0x5b) {
    let j = i;
    for (;;) {
      const d = s.charCodeAt(j);
      if (Number.isNaN(d) || d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) return j;
      j++;
    }
  }
  let depth = 0;
  let j = i;
  for (;;) {
    const d = s.charCodeAt(j);
    if (Number.isNaN(d)) throw new SyntaxError('unterminated value');
    if (d === 0x22) { j = skipString(s, j); continue; }
    if (d === 0x7b || d === 0x5b) depth++;
    else if (d === 0x7d || d === 0x5d) { depth--; if (depth === 0) return j + 1; }
    j++;
  }
}

/** The [start, end) span of `key`'s value in the object opening at `open`, or null. */
function valueSpan(s: string, open: number, key: string): [number, number] | null {
  let i = skipWs(s, open + 1);
  if (s.charCodeAt(i) === 0x7d) return null;
  for (;;) {
    const kEnd = skipString(s, i);
    const k = JSON.parse(s.slice(i, kEnd)) as string;
    i = skipWs(s, kEnd);
    if (s.charCodeAt(i) !== 0x3a) throw new SyntaxError('expected a colon');
    i = skipWs(s, i + 1);
    const vEnd = skipValue(s, i);
    if (k === key) return [i, vEnd];
    i = skipWs(s, vEnd);
    if (s.charCodeAt(i) !== 0x2c) return null;
    i = skipWs(s, i + 1);
  }
}

/** Byte-level (BPE) or UTF-8 bytes of a token, appended to `buf` at `at`; -1 for a lone surrogate. */
function encodeInto(token: string, byteLevel: boolean, buf: { b: Uint8Array }, at: number): number {
  if (buf.b.length < at + token.length * 4) {
    const next = new Uint8Array(Math.max(buf.b.length * 2, at + token.length * 4));
    next.set(buf.b.subarray(0, at));
    buf.b = next;
  }
  const b = buf.b;
  let o = at;
  for (let i = 0; i < token.length; i++) {
    let cp = token.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < token.length) {
      const lo = token.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i++; }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) return -1;
    const bl = byteLevel ? byteLevelByte(cp) : -1;
    if (bl >= 0) b[o++] = bl;
    else if (cp < 0x80) b[o++] = cp;
    else if (cp < 0x800) { b[o++] = 0xc0 | (cp >> 6); b[o++] = 0x80 | (cp & 63); }
    else if (cp < 0x10000) { b[o++] = 0xe0 | (cp >> 12); b[o++] = 0x80 | ((cp >> 6) & 63); b[o++] = 0x80 | (cp & 63); }
    else { b[o++] = 0xf0 | (cp >> 18); b[o++] = 0x80 | ((cp >> 12) & 63); b[o++] = 0x80 | ((cp >> 6) & 63); b[o++] = 0x80 | (cp & 63); }
  }
  return o - at;
}

function scanJson(path: string): Scan | null {
  let vocab: Record<string, unknown>;
  let added: unknown = [];
  let kind: string;
  try {
    // a BOM is kept, as the real loader keeps it (and rejects the file): the scan then declines and the loader speaks
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(readFile(path));
    const root = skipWs(text, 0);
    if (text.charCodeAt(root) !== 0x7b) return null;
    const model = valueSpan(text, root, 'model');
    if (!model || text.charCodeAt(model[0]) !== 0x7b) return null;
    const v = valueSpan(text, model[0], 'vocab');
    const t = valueSpan(text, model[0], 'type');
    const a = valueSpan(text, root, 'added_tokens');
    if (!v) return null;
    vocab = JSON.parse(text.slice(v[0], v[1]));
    if (a) added = JSON.parse(text.slice(a[0], a[1]));
    const type = t ? JSON.parse(text.slice(t[0], t[1])) : '';
    kind = (typeof type === 'string' ? type : '').toLowerCase() || 'unknown';
  } catch {
    return null; // the exact loader reports the problem in the reference's words
  }
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) return null;
  const byteLevel = kind === 'bpe';
  // id -> [text] ; later entries (added_tokens) overwrite, as in the loader
  const textById = new Map<number, string>();
  let vocabSize = 0;
  for (const token in vocab) {
    vocabSize++;
    const id = vocab[token];
    if (typeof id !== 'number' || !Number.isInteger(id)) return null; // unusual ids: the real loader decides
    textById.set(id, token);
  }
  if (Array.isArray(added)) {
    for (const e of added as { content?: unknown; id?: unknown }[]) {
      if (typeof e?.content !== 'string') continue;
      if (typeof e.id !== 'number' || !Number.isInteger(e.id)) return null;
      textById.set(e.id, e.content);
    }
  }
  const ids = [...textById.keys()].sort((x, y) => x - y);
  const texts = ids.map((id) => textById.get(id)!);
  const buf = { b: new Uint8Array(1 << 20) };
  const offsets = new Int32Array(ids.length + 1);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = encodeInto(texts[i]!, byteLevel, buf, at);
    if (n < 0) return null;
    at += n;
    offsets[i + 1] = at;
  }
  const pieces = ids.map((_, i) => buf.b.subarray(offsets[i]!, offsets[i + 1]!));
  return { kind: kind.toUpperCase(), pieces, ids, texts, vocabSize };
}

/** A multi-byte piece whose every byte is itself a piece: the code is not uniquely decodable. */
function provablyAmbiguous(pieces: Uint8Array[]): { piece: number } | null {
  const single = new Uint8Array(256);
  for (const p of pieces) if (p.length === 1) single[p[0]!] = 1;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (p.length < 2) continue;
    let all = true;
    for (const b of p) if (!single[b]) { all = false; break; }
    if (all) return { piece: i };
  }
  return null;
}

export function planTokenizer(roots: readonly string[], vocabSize: number, strict: boolean, threshold = FAST_TOKENIZER_THRESHOLD): TokenizerPlan | null {
  const first = tokenizerCandidates(roots)[0];
  if (first === undefined) return null;
  // the scan reads and parses the whole file: only where the fast path can apply
  if (!strict && first.toLowerCase().endsWith('.json') && fileSize(first) > threshold * MIN_ENTRY_BYTES) {
    const scan = scanJson(first);
    const fast = scan && scan.pieces.length > threshold ? fastPlan(first, scan, vocabSize) : null;
    if (fast) return fast;
  }
  const assets = loadTokenizerAssets(roots);
  if (!assets) return null;
  const tok = tokenizerArrays(assets, { vocabSize, strict });
  return {
    arrays: tok.arrays.map((a) => ({ name: a.name, bytes: a.data.length })),
    metadata: tok.metadata,
    extraStateBytes: 0,
    pieces: tok.pieces.map((p, i) => [p, tok.ids[i]!]),
    maxPieceLength: tok.maxPieceLength,
    supported: tok.supported,
    mphRetries: tok.mphRetries,
    warnings: tok.warnings,
    info: { kind: assets.kind, path: assets.provenance.path, pieces: tok.pieces.length, supported: tok.supported },
    estimated: false,
  };
}

function fastPlan(path: string, scan: Scan, vocabSize: number): TokenizerPlan | null {
  const { ids, pieces, texts } = scan;
  if (ids.length === 0 || ids[0]! < 0 || ids[ids.length - 1] !== ids.length - 1) return null; // the loader's id rules: let it speak
  const expected = vocabSize !== 0 ? vocabSize : pieces.length;
  if (expected !== pieces.length) {
    throw new TokenizerError(
      `Tokenizer vocabulary size mismatch: config expects ${expected}, but tokenizer provides ${pieces.length} entries`,
      `make config.json's vocab_size match the tokenizer (${path}), or use the tokenizer that belongs to this checkpoint`,
    );
  }
  const amb = provablyAmbiguous(pieces);
  if (!amb) return null; // uniquely decodable perhaps: only the real check can say
  let maxLen = 0;
  const groups = new Map<number, number>();
  for (const p of pieces) {
    if (p.length > maxLen) maxLen = p.length;
    if (p.length > 0) groups.set(p.length, (groups.get(p.length) ?? 0) + 1);
  }
  if (maxLen <= 4) return null; // the runtime snapshot would embed the vocabulary: take the exact path
  const tableCount = Math.max(4, maxLen);
  const arrays = Array.from({ length: tableCount }, (_, i) => ({ name: `T_${i + 1}`, bytes: 2048 }));

  // metadata.tokenizer with its big lists emptied; their bytes are added by formula.
  // Depths in sera_state.json: root 0, metadata 1, tokenizer 2, pieces/text_pieces 3, mph 3, mph[k] 4, its lists 5.
  const U64 = 12345678901234567890n;
  const mph: [string, PyValue][] = [];
  let extra = 0;
  for (let k = 1; k <= tableCount; k++) {
    const n = groups.get(k) ?? 0;
    const m = n ? referenceBucketCount(n) : 0;
    mph.push([String(k), dictOf([['table_size', BigInt(m)], ['seeds', []], ['key_hashes', []]])]);
    if (n) {
      extra += listBytes(5, { [Symbol.iterator]: function* () { for (let i = 0; i < m; i++) yield SEED_DIGITS; } }) - 2;
      extra += listBytes(5, { [Symbol.iterator]: function* () { for (let i = 0; i < n; i++) yield U64_DIGITS; } }) - 2;
    }
  }
  extra += listBytes(3, pieces.map((p, i) => pairBytes(4, 17 + 2 * p.length, digits(ids[i]!)))) - 2;
  extra += listBytes(3, texts.map((t, i) => pairBytes(4, jsonStringBytes(t), digits(ids[i]!)))) - 2;
  const witness = pieces[amb.piece]!;
  const metadata = dictOf([
    ['kind', scan.kind],
    ['pieces', []],
    ['text_pieces', []],
    ['max_piece_length', BigInt(maxLen)],
    ['seed', U64],
    ['salts', dictOf([['global_seed', U64], ['tables', dictOf(Array.from({ length: tableCount }, (_, i): [string, PyValue] => [String(i + 1), U64]))]])],
    ['vocab_digest', 'ab'.repeat(32)],
    ['mph', dictOf(mph)],
    ['provenance', dictOf([['path', path], ['sha256', 'ab'.repeat(32)], ['format', 'tokenizer.json']])],
    ['config', dictOf([['type', scan.kind], ['added_tokens', BigInt(pieces.length - scan.vocabSize)], ['vocab_size', BigInt(pieces.length)]])],
    ['sardinas_patterson', dictOf([
      ['status', 'ambiguous'], ['digest', 'ab'.repeat(32)], ['levels', []],
      ['witness', dictOf([['level', 1n], ['remainder', witness.subarray(1, 2)], ['token_id', BigInt(ids[amb.piece]!)]])],
    ])],
    ['mode', 'wrapper'],
  ]);
  return {
    arrays, metadata, extraStateBytes: extra, pieces: null, maxPieceLength: maxLen, supported: false,
    mphRetries: new Array<number>(tableCount).fill(0),
    warnings: [`the vocabulary is not uniquely decodable (piece ${ids[amb.piece]} is spelled by single-byte pieces): wrapper mode, no tokenizer_fst (estimated without running the tokenizer stage)`],
    info: { kind: scan.kind, path, pieces: pieces.length, supported: false },
    estimated: true,
  };
}
