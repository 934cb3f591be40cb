// Sera array files (FORMAT.md §2): an 80-byte header, 48 zero bytes, then the
// payload at offset 128. Written header-last so payloads can stream.
import { WriteHandle, ReadHandle, type SyncQueue } from '../io/fs.js';
import { crc32cSync } from '../kernels/crc32c.js';
import { FormatError } from '../errors.js';
import { newSha256, sha256Low64 } from './hash.js';
import { DTYPE_CODES, DTYPE_SIZES, dtypeFromCode, type SeraDtype } from './dtypes.js';

export const ARRAY_MAGIC = 0x53455241;
export const HEADER_BYTES = 80;
export const PAYLOAD_OFFSET = 128;
/** row_major | aligned_64B | ftz: the reference always writes 7. */
const DEFAULT_FLAGS = 0x7;
const FLAG_ALIGNED = 0x2;

export interface ArrayHeader {
  magic: number;
  dtypeCode: number;
  rank: number;
  dims: bigint[]; // 5 entries
  byteLen: bigint;
  crc32c: number;
  sha256Low64: bigint;
  flags: number;
  reserved: number;
}

/** What the state file and the manifest need to know about a written array. */
export interface ArrayRecord {
  name: string;
  path: string;
  dtype: SeraDtype;
  shape: number[];
  bytes: number;
  sha256: Uint8Array;
  /** CRC-32C of the payload (as written in the header). */
  crc32c?: number;
}

function encodeHeader(h: ArrayHeader): Uint8Array {
  const out = new Uint8Array(PAYLOAD_OFFSET);
  const v = new DataView(out.buffer);
  v.setUint32(0, h.magic, true);
  v.setUint16(4, h.dtypeCode, true);
  v.setUint16(6, h.rank, true);
  for (let i = 0; i < 5; i++) v.setBigUint64(8 + 8 * i, h.dims[i] ?? 1n, true);
  v.setBigUint64(48, h.byteLen, true);
  v.setBigUint64(56, BigInt(h.crc32c >>> 0), true);
  v.setBigUint64(64, h.sha256Low64, true);
  v.setUint32(72, h.flags, true);
  v.setUint32(76, h.reserved, true);
  return out;
}

export function decodeHeader(bytes: Uint8Array): ArrayHeader {
  if (bytes.length < HEADER_BYTES) throw new FormatError(`array header needs ${HEADER_BYTES} bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: bigint[] = [];
  for (let i = 0; i < 5; i++) dims.push(v.getBigUint64(8 + 8 * i, true));
  const crc = v.getBigUint64(56, true);
  return {
    magic: v.getUint32(0, true),
    dtypeCode: v.getUint16(4, true),
    rank: v.getUint16(6, true),
    dims,
    byteLen: v.getBigUint64(48, true),
    crc32c: Number(crc & 0xffffffffn) + (crc > 0xffffffffn ? 2 ** 32 : 0),
    sha256Low64: v.getBigUint64(64, true),
    flags: v.getUint32(72, true),
    reserved: v.getUint32(76, true),
  };
}

/** Header dims: shape[0..4], unused slots 1; rank = len(shape) (not clamped, as the reference). */
function headerDims(shape: number[]): bigint[] {
  const dims: bigint[] = [];
  for (let i = 0; i < 5; i++) dims.push(BigInt(i < shape.length ? shape[i]! : 1));
  return dims;
}

/** Streams one array file: header placeholder, payload chunks, then the real header. */
export class ArrayFileWriter {
  readonly name: string;
  readonly path: string;
  readonly dtype: SeraDtype;
  shape: number[];
  #out: WriteHandle;
  #sha = newSha256();
  #crc = 0;
  #bytes = 0;
  readonly #queue: SyncQueue | undefined;

  /** `queue`: the finished file is flushed off the main thread (see WriteHandle.close). */
  constructor(name: string, path: string, dtype: SeraDtype, shape: number[], queue?: SyncQueue) {
    this.#queue = queue;
    this.name = name;
    this.path = path;
    this.dtype = dtype;
    this.shape = shape;
    this.#out = new WriteHandle(path);
    try {
      this.#out.write(new Uint8Array(PAYLOAD_OFFSET));
    } catch (err) {
      this.#out.abandon();
      throw err;
    }
  }

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    try {
      this.#out.write(chunk);
    } catch (err) {
      this.#out.abandon();
      throw err;
    }
    this.#sha.update(chunk);
    this.#crc = crc32cSync(chunk, this.#crc);
    this.#bytes += chunk.length;
  }

  /** Writes the header and closes; `shape` replaces the constructor's when the size was not known up front. */
  finish(shape: number[] = this.shape): ArrayRecord {
    this.shape = shape;
    const digest = new Uint8Array(this.#sha.digest());
    const header = encodeHeader({
      magic: ARRAY_MAGIC,
      dtypeCode: DTYPE_CODES[this.dtype],
      rank: this.shape.length,
      dims: headerDims(this.shape),
      byteLen: BigInt(this.#bytes),
      crc32c: this.#crc,
      sha256Low64: sha256Low64(digest),
      flags: DEFAULT_FLAGS,
      reserved: 0,
    });
    try {
      this.#out.writeAt(0, header);
      this.#out.close(this.#queue);
    } catch (err) {
      this.#out.abandon();
      throw err;
    }
    return { name: this.name, path: this.path, dtype: this.dtype, shape: this.shape, bytes: this.#bytes, sha256: digest, crc32c: this.#crc >>> 0 };
  }

  /** Closes the unfinished file after a failure (its staging folder is discarded). */
  abandon(): void {
    this.#out.abandon();
  }
}

/** Writes a whole payload at once. */
export function writeArrayFile(name: string, path: string, dtype: SeraDtype, shape: number[], payload: Uint8Array,
  queue?: SyncQueue): ArrayRecord {
  const w = new ArrayFileWriter(name, path, dtype, shape, queue);
  w.write(payload);
  return w.finish();
}

/** Payload bytes of a typed array (little-endian hosts only: every supported runtime is LE). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export interface ArrayCheck {
  path: string;
  header: ArrayHeader | null;
  dtype: SeraDtype | undefined;
  shape: number[];
  fileSize: number;
  /** Problems found, each one line naming the field (empty when the file is valid). */
  problems: string[];
  /** SHA-256 of the payload as found on disk (null if unreadable). */
  sha256: Uint8Array | null;
  payloadBytes: number;
}

const CHUNK = 8 * 1024 * 1024;

/** An array file's header and size, or null when the file is shorter than a header. */
export function readArrayHeader(fh: ReadHandle): { header: ArrayHeader; size: number } | null {
  return fh.size < HEADER_BYTES ? null : { header: decodeHeader(fh.readAt(0, HEADER_BYTES)), size: fh.size };
}

/** Reads one array file in full (streaming) and checks header vs payload (FORMAT.md §2). */
export function checkArrayFile(path: string): ArrayCheck {
  const res: ArrayCheck = { path, header: null, dtype: undefined, shape: [], fileSize: 0, problems: [], sha256: null, payloadBytes: 0 };
  const fh = new ReadHandle(path);
  try {
    res.fileSize = fh.size;
    const read = readArrayHeader(fh);
    if (!read) {
      res.problems.push(`file is ${fh.size} bytes, shorter than the ${HEADER_BYTES}-byte header`);
      return res;
    }
    const h = read.header;
    res.header = h;
    const p = res.problems;
    if (h.magic !== ARRAY_MAGIC) p.push(`magic: expected 0x${ARRAY_MAGIC.toString(16)}, found 0x${h.magic.toString(16)}`);
    const dtype = dtypeFromCode(h.dtypeCode);
    res.dtype = dtype;
    if (!dtype) p.push(`dtype: unknown code ${h.dtypeCode}`);
    if (h.rank > 5) p.push(`rank: ${h.rank} exceeds 5`);
    const rank = Math.min(h.rank, 5);
    for (let i = rank; i < 5; i++) if (h.dims[i] !== 1n) p.push(`dims[${i}]: unused dimension must be 1, found ${h.dims[i]}`);
    res.shape = h.dims.slice(0, rank).map(Number);
    if (dtype) {
      let elems = 1n;
      for (let i = 0; i < rank; i++) elems *= h.dims[i]!;
      const want = elems * BigInt(DTYPE_SIZES[dtype]);
      if (want !== h.byteLen) p.push(`byte_len: dims ${res.shape.join('x') || 'scalar'} x ${DTYPE_SIZES[dtype]} bytes = ${want}, header says ${h.byteLen}`);
    }
    if ((h.flags & ~0x7) !== 0) p.push(`flags: unknown bits set (0x${h.flags.toString(16)})`);
    if ((h.flags & 0x1) === 0) p.push('flags: row_major bit (1) is not set');
    if (h.reserved !== 0) p.push(`reserved: expected 0, found ${h.reserved}`);
    const start = h.flags & FLAG_ALIGNED ? PAYLOAD_OFFSET : HEADER_BYTES;
    const expectSize = BigInt(start) + h.byteLen;
    if (BigInt(fh.size) !== expectSize) {
      p.push(`file size: expected ${expectSize} bytes (${start} + byte_len ${h.byteLen}), found ${fh.size}`);
    }
    if (start === PAYLOAD_OFFSET) {
      const pad = fh.readAt(HEADER_BYTES, Math.min(PAYLOAD_OFFSET, fh.size) - HEADER_BYTES);
      if (pad.some((b) => b !== 0)) p.push('padding: bytes 80..127 must be zero');
    }
    const payloadLen = Math.max(0, Math.min(fh.size - start, Number(h.byteLen)));
    const sha = newSha256();
    let crc = 0;
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(payloadLen, 1)));
    for (let off = 0; off < payloadLen; off += CHUNK) {
      const n = Math.min(CHUNK, payloadLen - off);
      const part = fh.readAt(start + off, n, buf.subarray(0, n));
      sha.update(part);
      crc = crc32cSync(part, crc);
    }
    res.payloadBytes = payloadLen;
    res.sha256 = new Uint8Array(sha.digest());
    if (payloadLen === Number(h.byteLen)) {
      if (crc >>> 0 !== h.crc32c) p.push(`crc32c: header says 0x${h.crc32c.toString(16).padStart(8, '0')}, payload has 0x${(crc >>> 0).toString(16).padStart(8, '0')}`);
      const low = sha256Low64(res.sha256);
      if (low !== h.sha256Low64) p.push(`sha256_low64: header says 0x${h.sha256Low64.toString(16)}, payload has 0x${low.toString(16)}`);
    }
    return res;
  } finally {
    fh.close();
  }
}
