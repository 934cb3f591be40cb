// Thin wrapper over the dense kernel: the reference FFN collapse of one layer
// (column statistics of W2, then top-L weights and residual records per key).
import { KernelSlot, type Kernel } from './wasm.js';

type DenseExports = {
  collapseKeys(w1: number, cols: number, hid: number, j0: number, j1: number, strip: number, cab: number, sg: number, k: number,
    eff: number, rec: number, li: number, top: number): number;
  collapseKeysF32(w1: number, cols: number, hid: number, j0: number, j1: number, strip: number, cab: number, sg: number, k: number,
    eff: number, rec: number, li: number, top: number): number;
  stripBytes(hid: number): number;
  columnStats(v: number, rows: number, cols: number, m: number, sgn: number, cab: number): void;
  columnStatsF32(v: number, rows: number, cols: number, m: number, sgn: number, cab: number): void;
};

const slot = new KernelSlot<DenseExports>('dense', 'await loadDense() first');

export function loadDense(): Promise<void> {
  return slot.load();
}

export function denseLoaded(): boolean {
  return slot.loaded;
}

// records are hashed, checksummed and written while still in cache
const RECORD_CHUNK_BYTES = 2 * 1024 * 1024;

/**
 * Regions of a layer's working set: `w1` is the input (W2 chunks, then W1);
 * `strip` holds a few columns of W1 at a time, transposed by the kernel.
 */
type Region = 'w1' | 'strip' | 'sgn' | 'cab' | 'sg' | 'eff' | 'rec' | 'top';

/** One layer's working set in the kernel's memory. */
export class DenseLayer {
  readonly hid: number;
  readonly d: number;
  #k: Kernel<DenseExports>;
  #o: Record<Region, number>;
  /** Doubles the input region holds (W1, or one chunk of W2 rows). */
  readonly #inputLength: number;
  readonly keysPerChunk: number;

  /** hid × cols is W1's shape; W2 rows of up to `w2Cols` values arrive `w2Rows` at a time. */
  constructor(hid: number, cols: number, d: number, w2Cols: number, w2Rows: number) {
    const k = (this.#k = slot.get());
    this.hid = hid;
    this.d = d;
    this.keysPerChunk = Math.max(1, Math.min(d, Math.floor(RECORD_CHUNK_BYTES / Math.max(16, hid * 16))));
    this.#inputLength = Math.max(hid * cols, w2Rows * w2Cols);
    const at = k.regions<Region>([
      ['w1', this.#inputLength * 8], ['strip', k.exports.stripBytes(hid)], ['sgn', hid * 8], ['cab', hid * 8], ['sg', hid * 8],
      ['eff', this.keysPerChunk * 8], ['rec', (this.keysPerChunk * hid + 1) * 16], ['top', 64 * 4 + 64 * 8 + 64],
    ]);
    this.#o = at;
    // only the accumulators must start at zero (every other region is written before
    // it is read): zeroing the whole working set of a big layer cost more than its collapse
    k.u8.fill(0, at.sgn, at.sg + hid * 8);
  }

  #f64(name: Region, n: number): Float64Array {
    return this.#k.f64(this.#o[name], n);
  }

  /**
   * The kernel's input region as `n` doubles, for the caller to read tensor rows
   * straight into: a chunk of W2 rows before columnStats, W1 before collapse.
   */
  input(n: number): Float64Array {
    if (n > this.#inputLength) throw new RangeError(`dense layer: input of ${n} values exceeds ${this.#inputLength}`);
    return this.#f64('w1', n);
  }

  /**
   * The input region as raw bytes for `n` little-endian f32 values (W2 chunks or W1
   * stored as F32, read straight from the file): the *F32 variants widen them in the kernel.
   */
  inputF32Bytes(n: number): Uint8Array {
    if (n > this.#inputLength) throw new RangeError(`dense layer: input of ${n} values exceeds ${this.#inputLength}`);
    return new Uint8Array(this.#k.memory.buffer, this.#o.w1, n * 4);
  }

  /** sgn[h] += x, cab[h] += |x| for h < m over `rows` rows of `cols` values placed in input() (or inputF32Bytes()). */
  columnStats(rows: number, cols: number, m: number, f32 = false): void {
    const e = this.#k.exports;
    (f32 ? e.columnStatsF32 : e.columnStats)(this.#o.w1 >>> 0, rows, cols, m, this.#o.sgn >>> 0, this.#o.cab >>> 0);
  }

  get sgn(): Float64Array { return this.#f64('sgn', this.hid).slice(); }

  /**
   * The keys of the layer: W1 (hid × cols doubles placed in input(), or f32 values in
   * inputF32Bytes() with `f32`), `sg` the sign of each unit's
   * column sum; kTop = -1 keeps every unit in index order. Records go to `onRecords`
   * in key order (the chunk is only valid during the call). Returns the weights, or
   * the key whose residual overflows f32.
   */
  collapse(cols: number, sg: Float64Array, kTop: number, li: number, onRecords: (chunk: Uint8Array) => void, f32 = false): { effects: Float64Array } | { overflowKey: number } {
    const kk = this.#k;
    const o = this.#o;
    const collapseKeys = f32 ? kk.exports.collapseKeysF32 : kk.exports.collapseKeys;
    this.#f64('sg', this.hid).set(sg);
    const effects = new Float64Array(this.d);
    for (let j0 = 0; j0 < this.d; j0 += this.keysPerChunk) {
      const j1 = Math.min(this.d, j0 + this.keysPerChunk);
      const n = collapseKeys(o.w1 >>> 0, cols, this.hid, j0, j1, o.strip >>> 0, o.cab >>> 0, o.sg >>> 0, kTop, o.eff >>> 0, o.rec >>> 0, li, o.top >>> 0);
      if (n < 0) return { overflowKey: -1 - n };
      effects.set(this.#f64('eff', j1 - j0), j0);
      if (n > 0) onRecords(new Uint8Array(kk.memory.buffer, o.rec, n * 16));
    }
    return { effects };
  }
}
