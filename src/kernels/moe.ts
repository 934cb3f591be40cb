// Thin wrapper over the moe kernel: the MoE collapse's per-layer selection state
// lives in the kernel's memory; rows are streamed in (MXFP4 bytes or f64 values).
import { kernel, type Kernel } from './wasm.js';

type MoeExports = {
  scanRowsMxfp4(st: number, blocks: number, scales: number, nRows: number, groups: number, unit0: number, k: number, ca: number, limit: number, row: number): void;
  scanRowsF64(st: number, v: number, nRows: number, unit0: number, k: number, ca: number, limit: number): void;
  dotRowsBf16(rows: number, nRows: number, n: number, w: number, out: number): void;
  colStatsMxfp4(blocks: number, scales: number, nRows: number, groups: number, sgn: number, cab: number, row: number): void;
  colStatsF64(v: number, nRows: number, cols: number, sgn: number, cab: number): void;
};

let k: Kernel<MoeExports> | undefined;

export async function loadMoe(): Promise<void> {
  k ??= await kernel<MoeExports>('moe');
}

export function moeLoaded(): boolean {
  return k !== undefined;
}

const align = (x: number) => Math.ceil(x / 64) * 64;

/** One layer's selection state and scratch in the kernel's memory. */
export class MoeScanner {
  readonly d: number;
  readonly keep: number;
  readonly resCap: number;
  readonly units: number;
  #k: Kernel<MoeExports>;
  #off: Record<string, number> = {};
  #input: number;
  #inputBytes: number;

  /** `maxRows` and `maxInputBytes` bound one streamed chunk. */
  constructor(d: number, keep: number, resCap: number, units: number, rowWidth: number, maxRows: number, maxInputBytes: number) {
    if (!k) throw new Error('moe kernel not loaded: await loadMoe() first');
    this.#k = k;
    this.d = d;
    this.keep = keep;
    this.resCap = resCap;
    this.units = units;
    const sizes: [string, number][] = [
      ['st', 64], ['thr', d * 8], ['rthr', d * 8], ['topS', d * Math.max(1, keep) * 8], ['topU', d * Math.max(1, keep) * 4],
      ['topC', d * Math.max(1, keep) * 8], ['topN', d * 4], ['resA', d * resCap * 8], ['resU', d * resCap * 4], ['resC', d * resCap * 8],
      ['resN', d * 4], ['nz', d * 8], ['sgn', units * 8], ['cab', units * 8], ['kArr', maxRows * 8], ['caArr', maxRows * 8],
      ['row', Math.max(d, rowWidth) * 8],
    ];
    let at = 0;
    for (const [name, size] of sizes) { this.#off[name] = at; at = align(at + size); }
    this.#input = at;
    this.#inputBytes = maxInputBytes;
    const base = k.scratch(at + maxInputBytes);
    for (const name of Object.keys(this.#off)) this.#off[name] = this.#off[name]! + base;
    this.#input += base;
    this.reset();
  }

  #view<T extends Float64Array | Int32Array>(ctor: new (b: ArrayBuffer, o: number, n: number) => T, name: string, n: number): T {
    return new ctor(this.#k.memory.buffer, this.#off[name]!, n);
  }
  get sgn(): Float64Array { return this.#view(Float64Array, 'sgn', this.units); }
  get cab(): Float64Array { return this.#view(Float64Array, 'cab', this.units); }
  get topU(): Int32Array { return this.#view(Int32Array, 'topU', this.d * Math.max(1, this.keep)); }
  get topC(): Float64Array { return this.#view(Float64Array, 'topC', this.d * Math.max(1, this.keep)); }
  get topN(): Int32Array { return this.#view(Int32Array, 'topN', this.d); }
  get resU(): Int32Array { return this.#view(Int32Array, 'resU', this.d * this.resCap); }
  get resC(): Float64Array { return this.#view(Float64Array, 'resC', this.d * this.resCap); }
  get resN(): Int32Array { return this.#view(Int32Array, 'resN', this.d); }
  /** Per key: the number of units whose term was non-zero. */
  get nonzero(): Int32Array {
    return Int32Array.from(new BigInt64Array(this.#k.memory.buffer, this.#off.nz!, this.d), (x) => Number(x));
  }

  /** Empties the selection and the column statistics. */
  reset(): void {
    const u8 = this.#k.u8;
    const o = this.#off;
    u8.fill(0, o.st!, this.#input);
    const st = new DataView(this.#k.memory.buffer, o.st!, 64);
    st.setUint32(0, this.d, true);
    st.setUint32(4, this.keep, true);
    st.setUint32(8, this.resCap, true);
    const names = ['thr', 'rthr', 'topS', 'topU', 'topC', 'topN', 'resA', 'resU', 'resC', 'resN', 'nz'];
    names.forEach((n, i) => st.setUint32(16 + 4 * i, o[n]! >>> 0, true));
    this.#view(Float64Array, 'thr', this.d).fill(-Infinity);
  }

  #put(bytes: Uint8Array, at: number): number {
    if (at + bytes.length > this.#inputBytes) throw new RangeError(`moe scanner: chunk of ${at + bytes.length} bytes exceeds ${this.#inputBytes}`);
    this.#k.u8.set(bytes, this.#input + at);
    return this.#input + at;
  }

  #factors(kf: Float64Array, ca: Float64Array): void {
    new Float64Array(this.#k.memory.buffer, this.#off.kArr!, kf.length).set(kf);
    new Float64Array(this.#k.memory.buffer, this.#off.caArr!, ca.length).set(ca);
  }

  /** Column statistics of MXFP4 rows (16·groups bytes + groups scales each) into units [unitOffset, …). */
  colStatsMxfp4(blocks: Uint8Array, scales: Uint8Array, nRows: number, groups: number, unitOffset: number): void {
    const b = this.#put(blocks, 0);
    const s = this.#put(scales, align(blocks.length));
    this.#k.exports.colStatsMxfp4(b >>> 0, s >>> 0, nRows, groups, (this.#off.sgn! + unitOffset * 8) >>> 0, (this.#off.cab! + unitOffset * 8) >>> 0, this.#off.row! >>> 0);
  }

  /** The input region as `n` doubles, for the caller to read f64 rows straight into (colStatsF64, scanF64). */
  inputF64(n: number): Float64Array {
    if (n * 8 > this.#inputBytes) throw new RangeError(`moe scanner: chunk of ${n * 8} bytes exceeds ${this.#inputBytes}`);
    return new Float64Array(this.#k.memory.buffer, this.#input, n);
  }

  /** Column statistics of `nRows` rows of `cols` doubles placed in inputF64(). */
  colStatsF64(nRows: number, cols: number, unitOffset: number): void {
    this.#k.exports.colStatsF64(this.#input >>> 0, nRows, cols, (this.#off.sgn! + unitOffset * 8) >>> 0, (this.#off.cab! + unitOffset * 8) >>> 0);
  }

  /** Scans MXFP4 gate rows for units unit0.. with per-row term factors `kf` and column masses `ca`. */
  scanMxfp4(blocks: Uint8Array, scales: Uint8Array, nRows: number, groups: number, unit0: number, kf: Float64Array, ca: Float64Array, limit: number): void {
    this.#factors(kf, ca);
    const b = this.#put(blocks, 0);
    const s = this.#put(scales, align(blocks.length));
    this.#k.exports.scanRowsMxfp4(this.#off.st! >>> 0, b >>> 0, s >>> 0, nRows, groups, unit0, this.#off.kArr! >>> 0, this.#off.caArr! >>> 0, limit, this.#off.row! >>> 0);
  }

  /** Scans `nRows` gate rows of d doubles placed in inputF64() (see scanMxfp4). */
  scanF64(nRows: number, unit0: number, kf: Float64Array, ca: Float64Array, limit: number): void {
    this.#factors(kf, ca);
    this.#k.exports.scanRowsF64(this.#off.st! >>> 0, this.#input >>> 0, nRows, unit0, this.#off.kArr! >>> 0, this.#off.caArr! >>> 0, limit);
  }
}

/**
 * Aggregates of BF16 rows against f64 weights: out[i] = (Σ_j bf16(row_i[j]) · w[j], j ascending) / n,
 * streamed through the kernel in chunks of rows.
 */
export function dotRowsBf16(rows: Uint8Array, nRows: number, n: number, w: Float64Array, out: Float64Array, outOffset = 0): void {
  if (!k) throw new Error('moe kernel not loaded: await loadMoe() first');
  const wOff = 0, outOff = align(n * 8), inOff = align(outOff + nRows * 8);
  const base = k.scratch(inOff + rows.length);
  new Float64Array(k.memory.buffer, base + wOff, n).set(w);
  k.u8.set(rows, base + inOff);
  k.exports.dotRowsBf16((base + inOff) >>> 0, nRows, n, (base + wOff) >>> 0, (base + outOff) >>> 0);
  out.set(new Float64Array(k.memory.buffer, base + outOff, nRows), outOffset);
}
