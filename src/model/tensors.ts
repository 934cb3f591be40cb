// Value views over checkpoint tensors, as the reference's stages see them:
// elements are doubles in row-major order, read on demand by row range, and
// hashed by the reference's tensor_bytes rule (ALGORITHMS.md §5.3).
import type { Hash } from 'node:crypto';
import type { TensorInfo, StDtype } from '../io/safetensors.js';
import { ST_DTYPE_SIZE } from '../io/safetensors.js';
import { decodeToF64 } from '../io/tensor-decode.js';
import { ModelError } from '../errors.js';
import { bytesOf } from '../format/array-file.js';

/** Byte-range access to checkpoint tensors (a safetensors file or a shard set). */
export interface RawStore {
  names(): readonly string[];
  get(name: string): TensorInfo | undefined;
  read(info: TensorInfo, start?: number, length?: number, into?: Uint8Array): Uint8Array;
}

const CHUNK_ELEMS = 1 << 19; // 512k doubles = 4 MiB per hashing/reading chunk

// Raw bytes that are decoded (or hashed) at once and then dropped go through one
// buffer per thread: a fresh buffer per read costs a page fault per 4 KiB touched,
// a third of a small conversion's time. Reads above the cap get their own buffer,
// so the retained memory stays bounded.
const SCRATCH_CAP = 16 * 1024 * 1024;
let scratch = new Uint8Array(0);

function transientRead(store: RawStore, info: TensorInfo, start: number, length: number): Uint8Array {
  if (length > SCRATCH_CAP) return store.read(info, start, length);
  if (scratch.length < length) scratch = new Uint8Array(Math.min(SCRATCH_CAP, Math.max(length, scratch.length * 2)));
  return store.read(info, start, length, scratch.subarray(0, length));
}

/** A reusable decode target for chunked reads (pass `take(n)` as `out`): it grows, never shrinks. */
export class ReuseBuffer {
  #b = new Float64Array(0);
  /** Exactly `n` values (every Tensor's readRows fills an `out` of the exact length). */
  take(n: number): Float64Array {
    if (this.#b.length < n) this.#b = new Float64Array(n);
    return this.#b.length === n ? this.#b : this.#b.subarray(0, n);
  }
}

export function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

const hashBuffer = new ReuseBuffer();

export abstract class Tensor {
  /** Shape as the reference sees it (`_tensor_shape`). */
  abstract readonly shape: readonly number[];
  /** Name used in messages. */
  abstract readonly label: string;

  get rank(): number {
    return this.shape.length;
  }
  /** `len(tensor)`: the first dimension (a scalar has none). */
  get rows(): number {
    return this.shape.length ? this.shape[0]! : 0;
  }
  /** Elements per first-axis row. */
  get rowSize(): number {
    return product(this.shape.slice(1));
  }
  get size(): number {
    return product(this.shape);
  }

  /** Elements of rows [r0, r1) as doubles, row-major. */
  abstract readRows(r0: number, r1: number, out?: Float64Array): Float64Array;

  /**
   * Elements [start, start+count) of the row-major flattening. Views that decode in
   * groups (MXFP4) need `start` and `count` aligned to their last dimension.
   */
  readFlat(start: number, count: number, out?: Float64Array): Float64Array {
    const rs = this.rowSize;
    if (rs > 0 && start % rs === 0 && count % rs === 0) return this.readRows(start / rs, (start + count) / rs, out);
    throw new ModelError(`${this.label}: unaligned element range [${start}, ${start + count})`);
  }

  /**
   * `readRows`, also feeding those rows' part of the reference's tensor_bytes view to
   * `h` (f64 LE of every element unless overridden). Reading every row in ascending
   * ranges feeds exactly what `hashInto` does, so a stage that needs both the hash and
   * the values reads the tensor once.
   */
  readRowsHashed(r0: number, r1: number, h: Hash, out?: Float64Array): Float64Array {
    const v = this.readRows(r0, r1, out);
    h.update(bytesOf(v));
    return v;
  }

  /** Feeds the reference's tensor_bytes view of the whole tensor to a hash. */
  hashInto(h: Hash): void {
    if (this.rank === 0) {
      h.update(bytesOf(this.readAll()));
      return;
    }
    const rowsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMS / Math.max(1, this.rowSize)));
    const buf = hashBuffer.take(Math.min(this.rows, rowsPerChunk) * this.rowSize); // the values are hashed, then dropped
    for (let r = 0; r < this.rows; r += rowsPerChunk) this.readRowsHashed(r, Math.min(this.rows, r + rowsPerChunk), h, buf);
  }

  readAll(): Float64Array {
    if (this.rank === 0) return this.readScalar();
    return this.readRows(0, this.rows);
  }

  protected readScalar(): Float64Array {
    throw new ModelError(`${this.label}: scalar tensors are not supported here`);
  }

  /** Requires an exact rank for a stage; `what` names the use for the message. */
  expectRank(rank: number, what: string): void {
    if (this.rank !== rank) {
      throw new ModelError(`${this.label}: ${what} needs a ${rank}-D tensor, found shape [${this.shape.join(', ')}]`,
        'check that the tensor names map to the right roles (see --debug for the role plan)');
    }
  }
}

/** A tensor stored in the checkpoint, decoded on each access (nothing is cached). */
export class FileTensor extends Tensor {
  readonly info: TensorInfo;
  readonly store: RawStore;
  readonly shape: readonly number[];
  constructor(store: RawStore, info: TensorInfo) {
    super();
    this.store = store;
    this.info = info;
    this.shape = info.shape;
  }
  get label(): string {
    return `tensor '${this.info.name}' (${this.info.file})`;
  }
  get dtype(): StDtype {
    return this.info.dtype;
  }
  /** Stored bytes per first-axis row. */
  get #rowBytes(): number {
    return this.rowSize * ST_DTYPE_SIZE[this.info.dtype];
  }
  /** Raw bytes of rows [r0, r1) in the thread's read scratch (valid until the next read). */
  #transientRows(r0: number, r1: number): Uint8Array {
    const rb = this.#rowBytes;
    return transientRead(this.store, this.info, r0 * rb, (r1 - r0) * rb);
  }
  readRows(r0: number, r1: number, out?: Float64Array): Float64Array {
    return decodeToF64(this.info.dtype, this.#transientRows(r0, r1), out);
  }
  protected override readScalar(): Float64Array {
    return decodeToF64(this.info.dtype, transientRead(this.store, this.info, 0, this.info.byteLength));
  }
  override readFlat(start: number, count: number, out?: Float64Array): Float64Array {
    const es = ST_DTYPE_SIZE[this.info.dtype];
    return decodeToF64(this.info.dtype, transientRead(this.store, this.info, start * es, count * es), out);
  }
  /** Raw stored bytes of rows [r0, r1) (into `into`, of exactly that length, when given). */
  readRawRows(r0: number, r1: number, into?: Uint8Array): Uint8Array {
    const rb = this.#rowBytes;
    return this.store.read(this.info, r0 * rb, (r1 - r0) * rb, into);
  }
  override readRowsHashed(r0: number, r1: number, h: Hash, out?: Float64Array): Float64Array {
    // BF16 read straight from the file hashes its stored bytes (the reference's raw_bytes path)
    if (this.info.dtype !== 'BF16') return super.readRowsHashed(r0, r1, h, out);
    const raw = this.#transientRows(r0, r1);
    h.update(raw);
    return decodeToF64('BF16', raw, out);
  }
  override hashInto(h: Hash): void {
    // BF16: the stored bytes, read in large steps and not decoded (nothing needs the values)
    if (this.info.dtype !== 'BF16') return super.hashInto(h);
    const step = 8 * 1024 * 1024;
    for (let off = 0; off < this.info.byteLength; off += step) {
      h.update(transientRead(this.store, this.info, off, Math.min(step, this.info.byteLength - off)));
    }
  }
}

/** A tensor stored as little-endian f32 in the file (not a slice, quantized or MXFP4 view). */
export function storedF32(t: Tensor): t is FileTensor {
  return t instanceof FileTensor && t.dtype === 'F32';
}

/**
 * Where a chunk of rows goes: doubles (input), or, when the sink `widens` (a wasm
 * kernel), the raw bytes of stored f32 values that it widens itself, exactly.
 */
export interface RowSink {
  readonly widens: boolean;
  input(n: number): Float64Array;
  inputF32Bytes(n: number): Uint8Array;
  widen(n: number): Float64Array;
}

/**
 * Values per chunk for the stages that stream stored rows through a kernel sink
 * (PRF, overlays, bridge): a chunk's raw f32 and its doubles stay in the L2 cache
 * between the widening, the hash and the kernel, and the sink's memory stays small
 * (fresh pages cost a fault each).
 */
export const SINK_CHUNK_VALUES = 1 << 15;

/** Rows of `t` per chunk of about SINK_CHUNK_VALUES values (at least one row). */
export function sinkChunkRows(t: Tensor): number {
  return Math.max(1, Math.floor(SINK_CHUNK_VALUES / Math.max(1, t.rowSize)));
}

/** Whether `t`'s rows go into `sink` raw (stored F32, a sink that widens): the decode then runs in the sink's kernel. */
export function rawIntoSink(t: Tensor, sink: Pick<RowSink, 'widens'>): t is FileTensor {
  return sink.widens && storedF32(t) && t.rank > 0;
}

/**
 * Rows r0..r1 of `t` into `sink` (returned, valid until the sink's next call), their
 * tensor_bytes fed to `h`: stored F32 goes in raw when the sink widens, which skips
 * the decode in JavaScript; the doubles, and so the bytes hashed, are the same.
 */
export function readRowsHashedInto(t: Tensor, r0: number, r1: number, h: Hash, sink: RowSink): Float64Array {
  const n = (r1 - r0) * t.rowSize;
  if (rawIntoSink(t, sink)) {
    t.readRawRows(r0, r1, sink.inputF32Bytes(n));
    const v = sink.widen(n);
    h.update(bytesOf(v));
    return v;
  }
  return t.readRowsHashed(r0, r1, h, sink.input(n));
}

/** One component of a fused QKV tensor: rows [start, start+len) (axis 0) or columns (axis 1). */
export class SliceTensor extends Tensor {
  readonly parent: Tensor;
  readonly axis: 0 | 1;
  readonly start: number;
  readonly length: number;
  readonly shape: readonly number[];
  readonly name: string;
  constructor(name: string, parent: Tensor, axis: 0 | 1, start: number, length: number) {
    super();
    this.name = name;
    this.parent = parent;
    this.axis = axis;
    this.start = start;
    this.length = length;
    const s = [...parent.shape];
    s[axis] = length;
    this.shape = s;
  }
  get label(): string {
    return `tensor '${this.name}' (split of ${this.parent.label})`;
  }
  readRows(r0: number, r1: number, out?: Float64Array): Float64Array {
    if (this.axis === 0) return this.parent.readRows(this.start + r0, this.start + r1, out);
    const src = this.parent.readRows(r0, r1);
    const inner = product(this.parent.shape.slice(2));
    const pRow = this.parent.rowSize;
    const row = this.rowSize;
    const res = out ?? new Float64Array((r1 - r0) * row);
    for (let r = 0; r < r1 - r0; r++) {
      res.set(src.subarray(r * pRow + this.start * inner, r * pRow + (this.start + this.length) * inner), r * row);
    }
    return res;
  }
}

/** A tensor that lives in memory (decoded or computed values). */
export class MemoryTensor extends Tensor {
  readonly shape: readonly number[];
  readonly values: Float64Array;
  readonly name: string;
  constructor(name: string, shape: readonly number[], values: Float64Array) {
    super();
    this.name = name;
    this.shape = shape;
    this.values = values;
  }
  get label(): string {
    return `tensor '${this.name}'`;
  }
  readRows(r0: number, r1: number, out?: Float64Array): Float64Array {
    const v = this.values.subarray(r0 * this.rowSize, r1 * this.rowSize);
    if (!out) return v;
    out.set(v);
    return out;
  }
  protected override readScalar(): Float64Array {
    return this.values;
  }
  override readFlat(start: number, count: number, out?: Float64Array): Float64Array {
    const v = this.values.subarray(start, start + count);
    if (!out) return v;
    out.set(v);
    return out;
  }
}

/** The tensor namespace the stages use: in-memory overrides first, then the checkpoint. */
export class TensorSet {
  readonly store: RawStore;
  #overrides = new Map<string, Tensor>();
  #cache = new Map<string, FileTensor>();
  constructor(store: RawStore) {
    this.store = store;
  }
  /** Names in the reference's iteration order: overrides, then header order. */
  names(): string[] {
    const out = [...this.#overrides.keys()];
    for (const n of this.store.names()) if (!this.#overrides.has(n)) out.push(n);
    return out;
  }
  has(name: string): boolean {
    return this.#overrides.has(name) || this.store.get(name) !== undefined;
  }
  get(name: string): Tensor | undefined {
    const o = this.#overrides.get(name);
    if (o) return o;
    let t = this.#cache.get(name);
    if (!t) {
      const info = this.store.get(name);
      if (!info) return undefined;
      t = new FileTensor(this.store, info);
      this.#cache.set(name, t);
    }
    return t;
  }
  require(name: string, role: string): Tensor {
    const t = this.get(name);
    if (!t) throw new ModelError(`tensor '${name}' (${role}) is not in the checkpoint`, 'check the layer names in config.json "layers" or the checkpoint files');
    return t;
  }
  shape(name: string): readonly number[] | undefined {
    return this.get(name)?.shape;
  }
  set(name: string, t: Tensor): void {
    this.#overrides.set(name, t);
  }
}

/** `store` with every data read reported to `onRead` (the dry run's guard, the progress display). */
export function countingStore(store: RawStore, onRead: (info: TensorInfo, bytes: number) => void): RawStore {
  return {
    names: () => store.names(),
    get: (name: string) => store.get(name),
    read: (info: TensorInfo, start?: number, length?: number, into?: Uint8Array) => {
      const out = store.read(info, start, length, into);
      onRead(info, out.length);
      return out;
    },
  };
}
