// Thin wrapper over the validate kernel: checks a safetensors data layout
// (contiguous, no holes/overlaps, sizes match shapes, ends exactly at the end of
// the data) in u64 arithmetic. The JSON header is parsed in TS; this only sees
// numbers. Callers must `await loadValidate()` once before `validateLayoutSync`.
import { KernelSlot, CHUNK_BYTES } from './wasm.js';

// Exported AssemblyScript constants arrive as WasmGlobal objects.
type WasmGlobal = { readonly value: number };

type ValidateExports = {
  validate(table: number, count: number, cursor: bigint, dataLen: bigint, last: number, out: number): number;
  OK: WasmGlobal; HOLE: WasmGlobal; OVERLAP: WasmGlobal;
  END_BEFORE_BEGIN: WasmGlobal; OVERFLOW: WasmGlobal;
  SIZE_MISMATCH: WasmGlobal; PAST_END: WasmGlobal; TRAILING: WasmGlobal;
  checkMxfp4(bdims: number, brank: number, sdims: number, srank: number, out: number): number;
  scanScales(ptr: number, n: number, out: number): void;
  MX_OK: WasmGlobal; MX_RANK: WasmGlobal; MX_BLOCK_BYTES: WasmGlobal;
};

export type LayoutErrorCode =
  | 'hole' | 'overlap' | 'end-before-begin' | 'overflow' | 'size-mismatch' | 'past-end' | 'trailing';

/** One tensor's layout as the header states it (offsets relative to the data start). */
export interface LayoutEntry {
  elemSize: number;
  shape: readonly (number | bigint)[];
  begin: bigint;
  end: bigint;
}

/**
 * The first problem found, walking entries in the given order.
 * `index` is the entry's position (entries.length for 'trailing').
 * expected/found: hole/overlap: previous end vs this begin; end-before-begin:
 * begin vs end; size-mismatch: shape bytes vs end - begin; past-end: data length
 * vs end; trailing: last end vs data length; overflow: element count and element
 * size when only the final multiply overflowed, else 0/0.
 */
export interface LayoutFailure {
  code: LayoutErrorCode;
  index: number;
  expected: bigint;
  found: bigint;
}

let codes = new Map<number, LayoutErrorCode | 'ok'>();

const slot = new KernelSlot<ValidateExports>('validate', 'await loadValidate() first', {
  init({ exports: e }) {
    // Codes come from the module's own exported constants, so they cannot drift.
    codes = new Map<number, LayoutErrorCode | 'ok'>([
      [e.OK.value, 'ok'],
      [e.HOLE.value, 'hole'],
      [e.OVERLAP.value, 'overlap'],
      [e.END_BEFORE_BEGIN.value, 'end-before-begin'],
      [e.OVERFLOW.value, 'overflow'],
      [e.SIZE_MISMATCH.value, 'size-mismatch'],
      [e.PAST_END.value, 'past-end'],
      [e.TRAILING.value, 'trailing'],
    ]);
  },
});

/** Loads the validate kernel; call once before the synchronous API. */
export function loadValidate(): Promise<void> {
  return slot.load();
}

export function isValidateLoaded(): boolean {
  return slot.loaded;
}

const OUT_BYTES = 32;
const U64_MAX = (1n << 64n) - 1n;

function u64(v: number | bigint, what: string): bigint {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  if (b < 0n || b > U64_MAX) throw new RangeError(`validate: ${what} ${b} is outside u64`);
  return b;
}

/**
 * Validates entries already sorted by (begin, end) against `dataLength` bytes of
 * data. Returns null when the layout is exactly the crate's: contiguous from 0,
 * each size = product(shape) x elemSize, last end = dataLength.
 */
export function validateLayoutSync(entries: readonly LayoutEntry[], dataLength: number | bigint): LayoutFailure | null {
  const k = slot.get();
  const dataLen = u64(dataLength, 'data length');
  let cursor = 0n;
  let i = 0;
  // Stream the table through scratch in chunks of at most CHUNK_BYTES.
  do {
    let words = 0;
    let j = i;
    while (j < entries.length) {
      const w = 4 + entries[j]!.shape.length;
      if (words > 0 && (words + w) * 8 > CHUNK_BYTES) break;
      words += w;
      j++;
    }
    const last = j === entries.length ? 1 : 0;
    const base = k.scratch(OUT_BYTES + words * 8);
    const table = new BigUint64Array(k.memory.buffer, base + OUT_BYTES, words);
    let w = 0;
    for (let t = i; t < j; t++) {
      const e = entries[t]!;
      table[w++] = u64(e.elemSize, 'element size');
      table[w++] = BigInt(e.shape.length);
      table[w++] = u64(e.begin, 'begin offset');
      table[w++] = u64(e.end, 'end offset');
      for (const d of e.shape) table[w++] = u64(d, 'dimension');
    }
    const rc = k.exports.validate((base + OUT_BYTES) >>> 0, j - i, cursor, dataLen, last, base >>> 0);
    const view = new DataView(k.memory.buffer, base, OUT_BYTES);
    const code = codes.get(rc);
    if (code === undefined) throw new Error(`validate kernel returned unknown code ${rc}`);
    if (code !== 'ok') {
      return {
        code,
        index: i + view.getUint32(4, true),
        expected: view.getBigUint64(8, true),
        found: view.getBigUint64(16, true),
      };
    }
    cursor = view.getBigUint64(24, true);
    i = j;
  } while (i < entries.length);
  return null;
}

// ---- MXFP4 pairs ----

export type Mxfp4ShapeProblem =
  | { code: 'rank'; blocksRank: number; scalesRank: number }
  | { code: 'block-bytes'; found: number }
  | { code: 'dim'; index: number; blocks: number; scales: number };

/** Checks an MXFP4 blocks/scales shape pair in the kernel; null when consistent. */
export function checkMxfp4Sync(blocks: readonly number[], scales: readonly number[]): Mxfp4ShapeProblem | null {
  const k = slot.get();
  const x = k.exports;
  const base = k.scratch(32 + 8 * (blocks.length + scales.length));
  const dims = new BigUint64Array(k.memory.buffer, base + 32, blocks.length + scales.length);
  blocks.forEach((d, i) => { dims[i] = BigInt(d); });
  scales.forEach((d, i) => { dims[blocks.length + i] = BigInt(d); });
  const rc = x.checkMxfp4((base + 32) >>> 0, blocks.length, (base + 32 + 8 * blocks.length) >>> 0, scales.length, base >>> 0);
  const v = new DataView(k.memory.buffer, base, 32);
  if (rc === x.MX_OK.value) return null;
  if (rc === x.MX_RANK.value) return { code: 'rank', blocksRank: blocks.length, scalesRank: scales.length };
  if (rc === x.MX_BLOCK_BYTES.value) return { code: 'block-bytes', found: Number(v.getBigUint64(16, true)) };
  return { code: 'dim', index: v.getUint32(0, true), blocks: Number(v.getBigUint64(8, true)), scales: Number(v.getBigUint64(16, true)) };
}

/** Running scan of E8M0 scale bytes: the largest value and the number of 0xFF (NaN) scales. */
export class ScaleScan {
  max = 0;
  nan = 0;
  add(bytes: Uint8Array): void {
    const k = slot.get();
    const x = k.exports;
    for (let off = 0; off < bytes.length; off += CHUNK_BYTES) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + CHUNK_BYTES));
      const base = k.scratch(16 + part.length);
      const v = new DataView(k.memory.buffer, base, 16); // valid until the next scratch(): the kernel never grows memory
      v.setUint32(0, this.max, true);
      v.setBigUint64(8, BigInt(this.nan), true);
      k.u8.set(part, base + 16);
      x.scanScales((base + 16) >>> 0, part.length, base >>> 0);
      this.max = v.getUint32(0, true);
      this.nan = Number(v.getBigUint64(8, true));
    }
  }
}
