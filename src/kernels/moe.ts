// Thin wrapper over the moe kernel: the MoE collapse's per-layer selection state
// lives in the kernel's memory; rows are streamed in (MXFP4 bytes or f64 values).
import { alignScratch, KernelSlot, type Kernel } from './wasm.js';

type MoeExports = {
  scanRowsMxfp4(st: number, blocks: number, scales: number, nRows: number, groups: number, unit0: number, k: number, ca: number, limit: number, row: number): void;
  scanRowsF64(st: number, v: number, nRows: number, unit0: number, k: number, ca: number, limit: number): void;
  dotRowsBf16(rows: number, nRows: number, n: number, w: number, out: number): void;
  colStatsMxfp4(blocks: number, scales: number, nRows: number, groups: number, sgn: number, cab: number, row: number): void;
  columnStats(v: number, rows: number, stride: number, n: number, sgn: number, cab: number): void;
};

const slot = new KernelSlot<MoeExports>('moe', 'await loadMoe() first');

export function loadMoe(): Promise<void> {
  return slot.load();
}

export function moeLoaded(): boolean {
  return slot.loaded;
}

/** Regions of a layer's state; `input` (last) receives the streamed chunks. */
type Region = 'st' | 'thr' | 'rthr' | 'topS' | 'topU' | 'topC' | 'topN' | 'resA' | 'resU' | 'resC' | 'resN' | 'nz'
  | 'sgn' | 'cab' | 'kArr' | 'caArr' | 'row' | 'input';

/** One layer's selection state and scratch in the kernel's memory. */
export class MoeScanner {
  readonly d: number;
  readonly keep: number;
  readonly resCap: number;
  readonly units: number;
  #k: Kernel<MoeExports>;
  #off: Record<Region, number>;
  #inputBytes: number;

  /** `maxRows` and `maxInputBytes` bound one streamed chunk. */
  constructor(d: number, keep: number, resCap: number, units: number, rowWidth: number, maxRows: number, maxInputBytes: number) {
    const k = (this.#k = slot.get());
    this.d = d;
    this.keep = keep;
    this.resCap = resCap;
    this.units = units;
    this.#off = k.regions<Region>([
      ['st', 64], ['thr', d * 8], ['rthr', d * 8], ['topS', d * Math.max(1, keep) * 8], ['topU', d * Math.max(1, keep) * 4],
      ['topC', d * Math.max(1, keep) * 8], ['topN', d * 4], ['resA', d * resCap * 8], ['resU', d * resCap * 4], ['resC', d * resCap * 8],
      ['resN', d * 4], ['nz', d * 8], ['sgn', units * 8], ['cab', units * 8], ['kArr', maxRows * 8], ['caArr', maxRows * 8],
      ['row', Math.max(d, rowWidth) * 8], ['input', maxInputBytes],
    ]);
    this.#inputBytes = maxInputBytes;
    this.reset();
  }

  #f64(name: Region, n: number): Float64Array {
    return this.#k.f64(this.#off[name], n);
  }
  #i32(name: Region, n: number): Int32Array {
    return new Int32Array(this.#k.memory.buffer, this.#off[name], n);
  }
  get sgn(): Float64Array { return this.#f64('sgn', this.units); }
  get cab(): Float64Array { return this.#f64('cab', this.units); }
  get topU(): Int32Array { return this.#i32('topU', this.d * Math.max(1, this.keep)); }
  get topC(): Float64Array { return this.#f64('topC', this.d * Math.max(1, this.keep)); }
  get topN(): Int32Array { return this.#i32('topN', this.d); }
  get resU(): Int32Array { return this.#i32('resU', this.d * this.resCap); }
  get resC(): Float64Array { return this.#f64('resC', this.d * this.resCap); }
  get resN(): Int32Array { return this.#i32('resN', this.d); }
  /** Per key: the number of units whose term was non-zero. */
  get nonzero(): Int32Array {
    return Int32Array.from(new BigInt64Array(this.#k.memory.buffer, this.#off.nz, this.d), (x) => Number(x));
  }

  /** Empties the selection and the column statistics. */
  reset(): void {
    const u8 = this.#k.u8;
    const o = this.#off;
    u8.fill(0, o.st, o.input);
    const st = new DataView(this.#k.memory.buffer, o.st, 64);
    st.setUint32(0, this.d, true);
    st.setUint32(4, this.keep, true);
    st.setUint32(8, this.resCap, true);
    const names: Region[] = ['thr', 'rthr', 'topS', 'topU', 'topC', 'topN', 'resA', 'resU', 'resC', 'resN', 'nz'];
    names.forEach((n, i) => st.setUint32(16 + 4 * i, o[n] >>> 0, true));
    this.#f64('thr', this.d).fill(-Infinity);
  }

  #put(bytes: Uint8Array, at: number): number {
    if (at + bytes.length > this.#inputBytes) throw new RangeError(`moe scanner: chunk of ${at + bytes.length} bytes exceeds ${this.#inputBytes}`);
    this.#k.u8.set(bytes, this.#off.input + at);
    return this.#off.input + at;
  }

  #factors(kf: Float64Array, ca: Float64Array): void {
    this.#f64('kArr', kf.length).set(kf);
    this.#f64('caArr', ca.length).set(ca);
  }

  /** Column statistics of MXFP4 rows (16·groups bytes + groups scales each) into units [unitOffset, …). */
  colStatsMxfp4(blocks: Uint8Array, scales: Uint8Array, nRows: number, groups: number, unitOffset: number): void {
    const b = this.#put(blocks, 0);
    const s = this.#put(scales, alignScratch(blocks.length));
    this.#k.exports.colStatsMxfp4(b >>> 0, s >>> 0, nRows, groups, (this.#off.sgn + unitOffset * 8) >>> 0, (this.#off.cab + unitOffset * 8) >>> 0, this.#off.row >>> 0);
  }

  /** The input region as `n` doubles, for the caller to read f64 rows straight into (colStatsF64, scanF64). */
  inputF64(n: number): Float64Array {
    if (n * 8 > this.#inputBytes) throw new RangeError(`moe scanner: chunk of ${n * 8} bytes exceeds ${this.#inputBytes}`);
    return this.#f64('input', n);
  }

  /** Column statistics of `nRows` rows of `cols` doubles placed in inputF64(). */
  colStatsF64(nRows: number, cols: number, unitOffset: number): void {
    this.#k.exports.columnStats(this.#off.input >>> 0, nRows, cols, cols, (this.#off.sgn + unitOffset * 8) >>> 0, (this.#off.cab + unitOffset * 8) >>> 0);
  }

  /** Scans MXFP4 gate rows for units unit0.. with per-row term factors `kf` and column masses `ca`. */
  scanMxfp4(blocks: Uint8Array, scales: Uint8Array, nRows: number, groups: number, unit0: number, kf: Float64Array, ca: Float64Array, limit: number): void {
    this.#factors(kf, ca);
    const b = this.#put(blocks, 0);
    const s = this.#put(scales, alignScratch(blocks.length));
    this.#k.exports.scanRowsMxfp4(this.#off.st >>> 0, b >>> 0, s >>> 0, nRows, groups, unit0, this.#off.kArr >>> 0, this.#off.caArr >>> 0, limit, this.#off.row >>> 0);
  }

  /** Scans `nRows` gate rows of d doubles placed in inputF64() (see scanMxfp4). */
  scanF64(nRows: number, unit0: number, kf: Float64Array, ca: Float64Array, limit: number): void {
    this.#factors(kf, ca);
    this.#k.exports.scanRowsF64(this.#off.st >>> 0, this.#off.input >>> 0, nRows, unit0, this.#off.kArr >>> 0, this.#off.caArr >>> 0, limit);
  }
}

/**
 * Aggregates of BF16 rows against f64 weights: out[i] = (Σ_j bf16(row_i[j]) · w[j], j ascending) / n,
 * streamed through the kernel in chunks of rows.
 */
export function dotRowsBf16(rows: Uint8Array, nRows: number, n: number, w: Float64Array, out: Float64Array, outOffset = 0): void {
  const k = slot.get();
  const at = k.regions([['w', n * 8], ['out', nRows * 8], ['in', rows.length]]);
  k.f64(at.w, n).set(w);
  k.u8.set(rows, at.in);
  k.exports.dotRowsBf16(at.in >>> 0, nRows, n, at.w >>> 0, at.out >>> 0);
  out.set(k.f64(at.out, nRows), outOffset);
}
