// A streaming safetensors writer producing the bytes the `safetensors` library
// (Rust crate, used by the Python package's save_file) writes for the same tensors:
//   * tensors sorted by dtype descending in the crate's `Dtype` enum order
//     (BOOL < U8 < I8 < F8_E5M2 < F8_E4M3 < I16 < U16 < F16 < BF16 < I32 < U32 <
//     F32 < F64 < I64 < U64; newer releases insert F4/F6/F8_E8M0/C64 without
//     changing this relative order), then by name (byte order), see `prepare` in
//     safetensors/src/tensor.rs;
//   * header = serde_json compact text: "__metadata__" first when given, then the
//     tensors in that order as {"dtype","shape","data_offsets"}; padded with
//     spaces to a multiple of 8 bytes; preceded by its length as LE u64;
//   * data contiguous in header order, no padding between tensors.
// Only one chunk of one tensor is in memory at a time.
import { WriteHandle } from '../io/fs.js';
import { compareCodePoints } from '../numeric/python.js';
import type { StDtype } from '../io/safetensors.js';
import { ST_DTYPE_SIZE } from '../io/safetensors.js';

/** The crate's Dtype enum order (derive(Ord) ranks). */
const DTYPE_RANK: Readonly<Record<StDtype, number>> = {
  BOOL: 0, U8: 1, I8: 2, F8_E5M2: 3, F8_E4M3: 4, I16: 5, U16: 6, F16: 7, BF16: 8,
  I32: 9, U32: 10, F32: 11, F64: 12, I64: 13, U64: 14,
};

export interface StreamTensor {
  name: string;
  dtype: StDtype;
  shape: readonly number[];
  /** Writes elements [first, first+count) into out (count·itemsize bytes). */
  fill(first: number, count: number, out: Uint8Array): void;
}

export interface HeaderEntry {
  name: string;
  dtype: StDtype;
  shape: readonly number[];
}

export interface PreparedHeader {
  /** The 8-byte length prefix followed by the padded header. */
  bytes: Uint8Array;
  /** Indices into the input, in file order. */
  order: number[];
  /** [begin, end) data offsets per input index. */
  offsets: Array<[number, number]>;
  dataBytes: number;
}

const utf8 = new TextEncoder();

/** serde_json's string escaping: \" \\ \b \f \n \r \t, \u00xx for other controls, the rest raw. */
export function serdeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

export function byteLengthOf(e: HeaderEntry): number {
  return e.shape.reduce((a, b) => a * b, 1) * ST_DTYPE_SIZE[e.dtype];
}

/** The header the library writes for these tensors (metadata null = no "__metadata__"). */
export function prepareHeader(entries: readonly HeaderEntry[], metadata: Readonly<Record<string, string>> | null): PreparedHeader {
  const order = entries.map((_, i) => i).sort((i, j) => {
    const a = entries[i]!, b = entries[j]!;
    return DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareCodePoints(a.name, b.name); // = UTF-8 byte order
  });
  const offsets: Array<[number, number]> = new Array(entries.length);
  const parts: string[] = [];
  if (metadata) {
    parts.push(`"__metadata__":{${Object.entries(metadata).map(([k, v]) => `${serdeString(k)}:${serdeString(v)}`).join(',')}}`);
  }
  let off = 0;
  for (const i of order) {
    const e = entries[i]!;
    const n = byteLengthOf(e);
    offsets[i] = [off, off + n];
    parts.push(`${serdeString(e.name)}:{"dtype":"${e.dtype}","shape":[${e.shape.join(',')}],"data_offsets":[${off},${off + n}]}`);
    off += n;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, order, offsets, dataBytes: off };
}

export interface WriteOptions {
  /** Chunk size in bytes (default 8 MiB). */
  chunkBytes?: number;
  /** Called after each chunk with the bytes written so far. */
  onProgress?: (written: number) => void;
  /** fsync before closing (default true). */
  sync?: boolean;
}

/** Writes a safetensors file; returns its size in bytes. */
export function writeSafetensors(
  path: string, tensors: readonly StreamTensor[], metadata: Readonly<Record<string, string>> | null, opts: WriteOptions = {},
): number {
  const header = prepareHeader(tensors, metadata);
  const chunkBytes = Math.max(64, opts.chunkBytes ?? 8 << 20);
  const buf = new Uint8Array(chunkBytes);
  const h = new WriteHandle(path);
  try {
    h.write(header.bytes);
    for (const i of header.order) {
      const t = tensors[i]!;
      const size = ST_DTYPE_SIZE[t.dtype];
      const total = t.shape.reduce((a, b) => a * b, 1);
      const per = Math.max(1, Math.floor(chunkBytes / size / 4) * 4); // whole words per chunk keeps streams aligned
      for (let first = 0; first < total; first += per) {
        const count = Math.min(per, total - first);
        const out = buf.subarray(0, count * size);
        t.fill(first, count, out);
        h.write(out);
        opts.onProgress?.(h.written);
      }
    }
    h.close(opts.sync ?? true);
  } catch (err) {
    h.abandon();
    throw err;
  }
  return header.bytes.length + header.dataBytes;
}
