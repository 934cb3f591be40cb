// FFN collapse (ALGORITHMS.md §11): one weight per (layer, input feature) from
// the top-L hidden units by |W2| column mass × |W1|, the rest as residual
// records, all biases folded into one scalar, and keys placed by the MPH.
import { sha256, toHexDigest } from '../format/hash.js';
import { psum, pyMax, sign } from '../numeric/python.js';
import { buildMph } from './mphf.js';
import { ModelError } from '../errors.js';
import { dict, dictOf, int, type PyDict, type PyValue } from '../format/pyvalue.js';
import { bytesOf } from '../format/array-file.js';
import { checkF32, f32Payload, f32TooLarge, type ArrayOut, type ModelView } from './types.js';
import { storedF32, type Tensor } from '../model/tensors.js';
import { DenseLayer, denseLoaded } from '../kernels/dense.js';

export interface CollapseResult {
  arrays: ArrayOut[];
  metadata: PyDict;
  salts: { mphf: Uint8Array; key: Uint8Array };
  keyCount: number;
  /** MPH rebuilds with a grown table (0 = the reference's own construction). */
  mphRetries: number;
}

/** Requires a 1-D tensor (a bias) for `role`. */
export function expectVector(t: Tensor, role: string): void {
  if (t.rank !== 1) {
    throw new ModelError(`${t.label}: ${role} must be a 1-D vector, found shape [${t.shape.join(', ')}]`,
      'FFN biases are vectors; check the role mapping (--debug prints it)');
  }
}

const F32_HINT = 'the FFN weights hold values beyond the f32 range';

/** Values of a 1-D tensor (a bias), as `[float(x) for x in t]`. */
export function vectorValues(t: Tensor, role: string): Float64Array {
  expectVector(t, role);
  return t.readAll();
}

/**
 * Residual records (16 bytes: u64 key, u32 hidden, f32 value) in insertion order,
 * kept as a list of filled blocks: growing never copies what is already stored,
 * and the blocks are joined once, when the array is written.
 */
export class Records {
  static readonly BLOCK_RECORDS = 1 << 16;
  /** Streaming mode: filled blocks go to `sink` (which consumes them before returning) instead of memory. */
  readonly #sink: ((chunk: Uint8Array) => void) | null;
  #done: Uint8Array[] = [];
  #doneCount = 0;
  #buf = new ArrayBuffer(Records.BLOCK_RECORDS * 16);
  #u32 = new Uint32Array(this.#buf);
  #f32 = new Float32Array(this.#buf);
  #fill = 0;
  #joined: Uint8Array | null = null;

  constructor(sink?: (chunk: Uint8Array) => void) {
    this.#sink = sink ?? null;
  }

  /** True when the records went to a sink (bytes() is then unavailable). */
  get streamed(): boolean {
    return this.#sink !== null;
  }

  get count(): number {
    return this.#doneCount + this.#fill;
  }
  #seal(): void {
    if (this.#fill === 0) return;
    if (this.#sink) {
      this.#sink(new Uint8Array(this.#buf, 0, this.#fill * 16));
      this.#doneCount += this.#fill;
      this.#fill = 0; // the sink has consumed the block: reuse it
      return;
    }
    this.#done.push(new Uint8Array(this.#buf, 0, this.#fill * 16));
    this.#doneCount += this.#fill;
    this.#buf = new ArrayBuffer(Records.BLOCK_RECORDS * 16);
    this.#u32 = new Uint32Array(this.#buf);
    this.#f32 = new Float32Array(this.#buf);
    this.#fill = 0;
  }
  push(keyHi: number, keyLo: number, h: number, value: number): void {
    if (this.#fill === Records.BLOCK_RECORDS) this.#seal();
    this.#joined = null;
    const i = this.#fill * 4;
    this.#u32[i] = keyLo;
    this.#u32[i + 1] = keyHi;
    this.#u32[i + 2] = h;
    this.#f32[i + 3] = checkF32(value, 'residual value', F32_HINT); // rounds to nearest-even, as struct.pack('<f')
    this.#fill++;
  }
  /** Streaming mode: hands the last partial block to the sink. */
  flush(): void {
    if (this.#sink) this.#seal();
  }
  /** All records as one byte array (joined once, then cached until the next write). */
  bytes(): Uint8Array {
    if (this.#sink) throw new Error('residual records were streamed to their array file');
    if (this.#joined) return this.#joined;
    const parts = [...this.#done, new Uint8Array(this.#buf, 0, this.#fill * 16)].filter((p) => p.length > 0);
    if (parts.length === 1) return (this.#joined = parts[0]!);
    const out = new Uint8Array(this.count * 16);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return (this.#joined = out);
  }
  /** Appends another buffer's records, in order (a Uint8Array is copied: it may be a view of kernel memory). */
  append(other: Records | Uint8Array): void {
    if (other instanceof Records) {
      this.append(other.bytes());
      return;
    }
    if (other.length % 16 !== 0) throw new Error(`residual records are 16 bytes each, got ${other.length} bytes`);
    if (other.length === 0) return;
    this.#seal();
    this.#joined = null;
    if (this.#sink) this.#sink(other);
    else this.#done.push(other.slice());
    this.#doneCount += other.length / 16;
  }
}

/** Columns 0..d-1 of a rows × cols matrix as a d × rows matrix (blocked for the cache). */
function transposeColumns(m: Float64Array, rows: number, cols: number, d: number): Float64Array {
  const out = new Float64Array(d * rows);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < d; c0 += B) {
      const c1 = Math.min(d, c0 + B);
      for (let r = r0; r < r1; r++) {
        const src = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = m[src + c]!;
      }
    }
  }
  return out;
}

/**
 * Indices of the top `L` scores, ranked as Python's stable `sorted(..., reverse=True)[:L]`
 * (descending, ties by ascending index); all indices in index order when len ≤ L.
 */
function topIndices(scores: Float64Array, n: number, L: number, out: Int32Array): number {
  if (n <= L) {
    for (let i = 0; i < n; i++) out[i] = i;
    return n;
  }
  const k = L >= 0 ? L : Math.max(0, n + L);
  if (k === 0) return 0;
  if (k > 64) {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => (scores[b]! > scores[a]! ? 1 : scores[b]! < scores[a]! ? -1 : a - b));
    for (let i = 0; i < k; i++) out[i] = idx[i]!;
    return k;
  }
  // insertion into a sorted prefix: a new entry goes after every entry >= it (stability)
  let len = 0;
  for (let h = 0; h < n; h++) {
    const s = scores[h]!;
    if (len === k && !(s > scores[out[k - 1]!]!)) continue;
    let pos = len === k ? k - 1 : len;
    while (pos > 0 && s > scores[out[pos - 1]!]!) {
      out[pos] = out[pos - 1]!;
      pos--;
    }
    out[pos] = h;
    if (len < k) len++;
  }
  return len;
}

const ROW_CHUNK = 2048;

/**
 * `residuals`: where the residual records go (a streaming Records writes them to
 * cuckoo_delta while the collapse runs: for a 7B dense model they are ~23 GB); the
 * result then has no cuckoo_delta array.
 */
export async function collapseFfn(view: ModelView, topL: number,
  opts: { useKernel?: boolean; residuals?: Records; between?: () => Promise<void> } = {}): Promise<CollapseResult> {
  const d = view.dModel;
  const keys = new BigUint64Array(view.layers.length * Math.max(0, d));
  const weights = new Float64Array(keys.length);
  let nKeys = 0;
  const records = opts.residuals ?? new Records();
  let bias = 0.0;
  for (const [li, layer] of view.layers.entries()) {
    if (li > 0) await opts.between?.(); // a Ctrl-C is acted on between layers
    const need = (name: string | null, role: string): Tensor | null => {
      if (name === null) return null;
      const t = view.tensors.get(name);
      if (!t) {
        throw new ModelError(`tensor '${name}' (${role} of layer ${layer.name}) is not in the checkpoint`,
          'check the "layers" entries in config.json or the checkpoint files');
      }
      return t;
    };
    const W1 = need(layer.w1, 'FFN_W1')!;
    const W2 = need(layer.w2, 'FFN_W2')!;
    const B1 = need(layer.b1, 'FFN_B1');
    const B2 = need(layer.b2, 'FFN_B2');
    if (B2) bias += psum(vectorValues(B2, 'FFN_B2'));
    if (B1) {
      const b1 = vectorValues(B1, 'FFN_B1');
      const relu = new Float64Array(b1.length);
      for (let i = 0; i < b1.length; i++) relu[i] = pyMax(0.0, b1[i]!);
      bias += psum(relu);
    }

    W2.expectRank(2, 'the FFN collapse (FFN_W2)');
    const out = W2.rows;
    const hid2 = out ? W2.rowSize : 0;
    W1.expectRank(2, 'the FFN collapse (FFN_W1)');
    const hid = W1.rows;
    const cols = W1.rowSize;
    if (d > 0 && hid > 0 && cols < d) {
      throw new ModelError(`${W1.label}: FFN_W1 has ${cols} columns, the model has d_model ${d}`,
        'FFN_W1 must be [hidden, d_model]; check the checkpoint orientation and config hidden_size');
    }
    const m = Math.min(hid, hid2);
    // the kernel covers every top size a real run uses; Python's slice semantics for
    // negative and large L stay in TypeScript below
    const kTop = hid <= topL ? -1 : topL >= 0 && topL <= 64 ? topL : null;
    if (kTop !== null && denseLoaded() && opts.useKernel !== false) {
      const rowsPerChunk = Math.max(1, Math.min(out, Math.floor((1 << 21) / Math.max(1, hid2))));
      // W2 chunks, then W1, are decoded straight into the kernel's memory; stored f32
      // goes in raw and is widened by the kernel (exact, the same doubles)
      const dl = new DenseLayer(hid, cols, d, hid2, rowsPerChunk);
      const f32 = storedF32(W2) && storedF32(W1);
      for (let r0 = 0; r0 < out; r0 += rowsPerChunk) {
        const r1 = Math.min(out, r0 + rowsPerChunk);
        if (f32) W2.readRawRows(r0, r1, dl.inputF32Bytes((r1 - r0) * hid2));
        else W2.readRows(r0, r1, dl.input((r1 - r0) * hid2));
        dl.columnStats(r1 - r0, hid2, m, f32);
      }
      if (f32) W1.readRawRows(0, hid, dl.inputF32Bytes(hid * cols));
      else W1.readRows(0, hid, dl.input(hid * cols));
      const r = dl.collapse(cols, dl.sgn.map(sign), kTop, li, (chunk) => records.append(chunk), f32);
      if ('overflowKey' in r) throw f32TooLarge(`a residual of key (layer ${li}, feature ${r.overflowKey})`, F32_HINT);
      for (let j = 0; j < d; j++) {
        keys[nKeys] = (BigInt(li) << 32n) | BigInt(j);
        weights[nKeys++] = r.effects[j]!;
      }
      continue;
    }
    const sgn = new Float64Array(hid);
    const cab = new Float64Array(hid);
    for (let r0 = 0; r0 < out; r0 += ROW_CHUNK) {
      const r1 = Math.min(out, r0 + ROW_CHUNK);
      const v = W2.readRows(r0, r1);
      for (let r = 0; r < r1 - r0; r++) {
        const base = r * hid2;
        for (let h = 0; h < m; h++) {
          const x = v[base + h]!;
          sgn[h] = sgn[h]! + x;
          cab[h] = cab[h]! + Math.abs(x);
        }
      }
    }
    const w1 = W1.readAll();
    const sgnSign = new Float64Array(hid);
    for (let h = 0; h < hid; h++) sgnSign[h] = sign(sgn[h]!);
    // one transpose per layer makes every key's pass over the hidden units sequential
    const wT = transposeColumns(w1, hid, cols, d);
    const scores = new Float64Array(hid);
    const pos = new Float64Array(hid);
    const top = new Int32Array(Math.max(1, hid));
    const inTop = new Uint8Array(hid);
    const keyHi = li;
    for (let j = 0; j < d; j++) {
      const jb = j * hid;
      for (let h = 0; h < hid; h++) {
        const x = wT[jb + h]!;
        pos[h] = x > 0.0 ? x : 0.0; // Python max(0.0, x): NaN and -0.0 give 0.0
        scores[h] = cab[h]! * Math.abs(x);
      }
      const nTop = topIndices(scores, hid, topL, top);
      let effect = 0.0;
      for (let t = 0; t < nTop; t++) {
        const h = top[t]!;
        effect += sgnSign[h]! * pos[h]!;
        inTop[h] = 1;
      }
      keys[nKeys] = (BigInt(keyHi) << 32n) | BigInt(j);
      weights[nKeys++] = effect;
      for (let h = 0; h < hid; h++) {
        const res = sgnSign[h]! * pos[h]!;
        if (res !== 0 && inTop[h] === 0 && res === res) records.push(keyHi, j, h, res);
      }
      for (let t = 0; t < nTop; t++) inTop[top[t]!] = 0;
    }
  }

  return linearArtefacts(keys.subarray(0, nKeys), weights.subarray(0, nKeys), records, bias);
}

/**
 * The linear stage's outputs from collapsed (key, weight) pairs in insertion
 * order, the residual records and the scalar bias: keys placed by the MPH
 * (grown by 5% and rebuilt where the reference's seed search gives up).
 */
export function linearArtefacts(keys: BigUint64Array, weights: Float64Array, records: Records, bias: number): CollapseResult {
  const nKeys = keys.length;
  const mph = buildMph(keys, { maxRetries: 40 });
  const slotOf = new Map<bigint, number>();
  for (let i = 0; i < nKeys; i++) slotOf.set(keys[i]!, i);
  const ordered = mph.ordered;
  const orderedWeights = new Float64Array(ordered.length);
  for (let s = 0; s < ordered.length; s++) orderedWeights[s] = weights[slotOf.get(ordered[s]!)!]!;

  const seedBytes = bytesOf(mph.seeds);
  const keyBytes = bytesOf(ordered);
  const { mphf: mphfSalt, key: keySalt } = linearSalts(seedBytes, keyBytes);
  const M = mph.seeds.length;

  const slotLookup: [string, PyValue][] = [];
  for (const [k, slot] of mph.lookup) slotLookup.push([k.toString(), int(slot)]);
  const metadata = dict({
    keys: Array.from(ordered, (k) => k as PyValue),
    weights: Array.from(orderedWeights),
    bias,
    residuals: int(records.count),
    slot_lookup: dictOf(slotLookup),
    salts: dict({ mphf: toHexDigest(mphfSalt), key: toHexDigest(keySalt) }),
  });
  if (mph.retries > 0) {
    metadata.set('mph', dict({ rule: 'grow-5-percent-and-rebuild', retries: int(mph.retries), table_size: int(M) }));
  }
  const arrays: ArrayOut[] = [
    { name: 'linear_mphf', dtype: 'u8', shape: M > 0 ? [M, 4] : [0], payload: new Uint8Array(seedBytes) },
    { name: 'linear_keys', dtype: 'u64', shape: [ordered.length], payload: new Uint8Array(keyBytes) },
    { name: 'linear_weights', dtype: 'f32', shape: [ordered.length], payload: f32Payload(orderedWeights) },
    { name: 'linear_bias', dtype: 'f32', shape: [1], payload: f32Payload([bias]) },
  ];
  if (!records.streamed) {
    const cuckoo = records.bytes();
    arrays.push({ name: 'cuckoo_delta', dtype: 'u8', shape: [cuckoo.length], payload: cuckoo });
  }
  return {
    arrays,
    metadata,
    salts: { mphf: mphfSalt, key: keySalt },
    keyCount: ordered.length,
    mphRetries: mph.retries,
  };
}

/** The manifest's linear salts from the linear_mphf and linear_keys payloads (rebuild.ts recomputes them). */
export function linearSalts(seeds: Uint8Array, keys: Uint8Array): { mphf: Uint8Array; key: Uint8Array } {
  return { mphf: sha256('sera::linear_mphf::', seeds), key: sha256('sera::linear_keys::', keys) };
}
