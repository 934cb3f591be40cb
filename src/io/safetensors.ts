// Strict safetensors reader: the rules of the Rust `safetensors` crate (which the
// reference's safe_open applies before anything else), with errors a user can act
// on. Only the header is held in memory; tensor bytes are read by range.
//
// Accepted exactly as the crate accepts: header ≤ 100,000,000 bytes of UTF-8 JSON
// object; optional "__metadata__" (object of string → string, or null); every
// other key a tensor {dtype, shape, data_offsets} (extra fields are ignored, as
// serde does); offsets sorted by (begin, end) contiguous from 0 with the last end
// at the end of the file. Stricter than the crate: duplicate tensor names (or
// duplicate fields inside a tensor entry) and NaN/Infinity tokens are refused,
// and dimensions above 2^53 - 1 are refused as absurd.
//
// The layout check runs in the `validate` wasm kernel: callers must
// `await loadSafetensorsReader()` (= loadValidate) once before openSafetensors.
import { SafetensorsError } from '../errors.js';
import { ReadHandle } from './fs.js';
import { parseJsonStrict, JsonParseError, type JsonOddity } from '../format/json-parse.js';
import type { PyValue } from '../format/pyvalue.js';
import { loadValidate, isValidateLoaded, validateLayoutSync, type LayoutEntry, type LayoutFailure } from '../kernels/validate.js';

export type StDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export const ST_DTYPE_SIZE: Readonly<Record<StDtype, number>> = Object.freeze({
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
});

export const ST_DTYPES: readonly StDtype[] = Object.freeze(Object.keys(ST_DTYPE_SIZE) as StDtype[]);

/** The crate's MAX_HEADER_SIZE. */
export const MAX_HEADER_BYTES = 100_000_000;

function isStDtype(s: string): s is StDtype {
  return Object.prototype.hasOwnProperty.call(ST_DTYPE_SIZE, s);
}

export interface TensorInfo {
  name: string;
  dtype: StDtype;
  shape: number[];
  /** The file holding the tensor (the path it was opened with). */
  file: string;
  /** Absolute offset of the first byte in the file. */
  offset: number;
  byteLength: number;
}

/** Loads what the reader needs (the validate kernel); call once before openSafetensors. */
export async function loadSafetensorsReader(): Promise<void> {
  await loadValidate();
}

const HINT_TRUNCATED = 'the file is probably a truncated or interrupted download; fetch it again';
const HINT_CORRUPT =
  'the header is inconsistent: the file was corrupted or not written by a safetensors library; re-export or re-download it';
const HINT_NOT_ST = 'this does not look like a safetensors file: check that the path points at the model weights';

/** What a file that is not safetensors most likely is, from its first bytes. */
function sniff(head: Uint8Array): string | undefined {
  const text = new TextDecoder('latin1').decode(head);
  if (text.startsWith('version https://git-lfs')) {
    return 'it is a Git LFS pointer file, not the weights: run `git lfs pull` (or download the file itself)';
  }
  if (/^\s*<(!doctype|html|\?xml)/i.test(text)) return 'it is an HTML/XML page (an error page saved instead of the weights?): download the file again';
  if (text.startsWith('PK\x03\x04')) return 'it is a zip archive (a PyTorch .bin/.pt checkpoint?), not safetensors';
  if (text.startsWith('GGUF')) return 'it is a GGUF file, not safetensors';
  if (/^\s*[{[]/.test(text)) return 'it is a JSON file (an index or config?), not safetensors';
  return undefined;
}

function kindOf(v: PyValue): string {
  if (v === null) return 'null';
  if (v instanceof Map) return 'an object';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'bigint') return `the integer ${v}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'boolean') return String(v);
  return typeof v;
}

const U64_MAX = (1n << 64n) - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

interface RawEntry {
  name: string;
  dtype: StDtype;
  shape: bigint[];
  begin: bigint;
  end: bigint;
}

function fmtShape(shape: readonly (bigint | number)[]): string {
  return `[${shape.join(', ')}]`;
}

/** Parses and checks header JSON text; `file` only names the file in errors. */
function parseHeaderText(file: string, text: string): { metadata: Map<string, string> | null; entries: RawEntry[] } {
  let root: PyValue;
  let odd: JsonOddity | null;
  try {
    // duplicates matter for tensor names and the fields of a tensor entry, not inside __metadata__
    ({ value: root, oddity: odd } = parseJsonStrict(text, {
      duplicates: (path) => path.length === 0 || (path.length === 1 && path[0] !== '__metadata__' && path[0] !== '[]'),
      nonFinite: true,
    }));
  } catch (err) {
    const why = err instanceof JsonParseError ? err.message : String(err);
    throw new SafetensorsError(file, `header is not valid JSON (${why})`, { hint: HINT_CORRUPT });
  }
  if (!(root instanceof Map)) {
    throw new SafetensorsError(file, `header JSON is ${kindOf(root)}, expected an object mapping tensor names to {dtype, shape, data_offsets}`, { hint: HINT_CORRUPT });
  }
  if (odd?.kind === 'duplicate') {
    if (odd.path.length === 0) {
      throw new SafetensorsError(file, 'the header lists this tensor name more than once', { tensor: odd.key, hint: HINT_CORRUPT });
    }
    throw new SafetensorsError(file, `the header entry has the field '${odd.key}' more than once`, { tensor: odd.path[0]!, hint: HINT_CORRUPT });
  }
  if (odd?.kind === 'nonstandard') {
    throw new SafetensorsError(file, `header JSON uses a non-standard NaN/Infinity token at character ${odd.at}`, { hint: HINT_CORRUPT });
  }

  let metadata: Map<string, string> | null = null;
  const entries: RawEntry[] = [];
  for (const [name, v] of root) {
    if (name === '__metadata__') {
      if (v === null) continue;
      if (!(v instanceof Map)) {
        throw new SafetensorsError(file, `'__metadata__' is ${kindOf(v)}, expected an object of string values`, { hint: HINT_CORRUPT });
      }
      metadata = new Map();
      for (const [mk, mv] of v) {
        if (typeof mv !== 'string') {
          throw new SafetensorsError(file, `'__metadata__' entry '${mk}' is ${kindOf(mv)}, expected a string`, { hint: HINT_CORRUPT });
        }
        metadata.set(mk, mv);
      }
      continue;
    }
    const fail = (msg: string): never => { throw new SafetensorsError(file, msg, { tensor: name, hint: HINT_CORRUPT }); };
    if (!(v instanceof Map)) fail(`entry is ${kindOf(v)}, expected an object {dtype, shape, data_offsets}`);
    const entry = v as Map<string, PyValue>;
    for (const f of ['dtype', 'shape', 'data_offsets']) if (!entry.has(f)) fail(`entry has no '${f}' field`);
    const dtype = entry.get('dtype')!;
    if (typeof dtype !== 'string') fail(`dtype is ${kindOf(dtype)}, expected a string such as "F32"`);
    if (!isStDtype(dtype as string)) {
      throw new SafetensorsError(file, `unknown dtype '${dtype as string}' (supported: ${ST_DTYPES.join(' ')})`, {
        tensor: name,
        hint: 'the file was written by a newer safetensors version or is corrupted; convert the tensor to a supported dtype',
      });
    }
    const shapeV = entry.get('shape')!;
    if (!Array.isArray(shapeV)) fail(`shape is ${kindOf(shapeV)}, expected a list of non-negative integers`);
    const shape: bigint[] = [];
    for (const d of shapeV as PyValue[]) {
      if (typeof d !== 'bigint' || d < 0n) fail(`shape [${(shapeV as PyValue[]).map(String).join(', ')}] has ${kindOf(d)}, expected non-negative integers`);
      if ((d as bigint) > SAFE_MAX) fail(`shape ${fmtShape(shapeV as bigint[])} has a dimension above 2^53 - 1: the element count overflows`);
      shape.push(d as bigint);
    }
    const offV = entry.get('data_offsets')!;
    if (!Array.isArray(offV) || offV.length !== 2) {
      fail(`data_offsets is ${kindOf(offV)}${Array.isArray(offV) ? ` of ${offV.length} items` : ''}, expected [begin, end]`);
    }
    const [b, e] = offV as PyValue[];
    for (const x of [b, e]) {
      if (typeof x !== 'bigint') fail(`data_offsets has ${kindOf(x!)}, expected non-negative integers`);
      if ((x as bigint) < 0n) fail(`data_offsets has the negative offset ${x}`);
      if ((x as bigint) > U64_MAX) fail(`data_offsets has the offset ${x}, which overflows 64 bits`);
    }
    entries.push({ name, dtype: dtype as StDtype, shape, begin: b as bigint, end: e as bigint });
  }
  return { metadata, entries };
}

function layoutError(file: string, f: LayoutFailure, sorted: RawEntry[], dataLength: number): SafetensorsError {
  const t = sorted[f.index];
  const prev = f.index > 0 ? sorted[f.index - 1] : undefined;
  const span = t ? `data_offsets [${t.begin}, ${t.end}]` : '';
  switch (f.code) {
    case 'hole':
      return new SafetensorsError(file,
        `${span} leave a hole: the data should continue at byte ${f.expected}` +
        (prev ? ` (where '${prev.name}' ends)` : '') + `, found it starting at ${f.found}`,
        { tensor: t!.name, hint: HINT_CORRUPT });
    case 'overlap':
      return new SafetensorsError(file,
        `${span} overlap ` + (prev ? `'${prev.name}' (which ends at byte ${f.expected})` : `the previous tensor`),
        { tensor: t!.name, hint: HINT_CORRUPT });
    case 'end-before-begin':
      return new SafetensorsError(file, `${span}: the end offset is before the begin offset`, { tensor: t!.name, hint: HINT_CORRUPT });
    case 'overflow':
      return new SafetensorsError(file,
        `shape ${fmtShape(t!.shape)} × ${ST_DTYPE_SIZE[t!.dtype]}-byte ${t!.dtype} overflows 64-bit arithmetic`,
        { tensor: t!.name, hint: HINT_CORRUPT });
    case 'size-mismatch':
      return new SafetensorsError(file,
        `dtype ${t!.dtype} with shape ${fmtShape(t!.shape)} needs ${f.expected} bytes, but ${span} span ${f.found} bytes`,
        { tensor: t!.name, hint: HINT_CORRUPT });
    case 'past-end':
      return new SafetensorsError(file,
        `${span} run past the end of the file: the data area holds ${dataLength} bytes ` +
        `but the header needs at least ${f.found} (${f.found - BigInt(dataLength)} bytes missing)`,
        { tensor: t!.name, hint: HINT_TRUNCATED });
    case 'trailing':
      return new SafetensorsError(file,
        `${f.found - f.expected} bytes of trailing data: the tensors end at byte ${f.expected} of the data area, ` +
        `but the file holds ${f.found} data bytes`,
        { hint: 'the file was modified or appended to after it was written, or its header lost entries; fetch it again' });
  }
}

/** An open safetensors file: a validated header and a handle for ranged reads. */
export class SafetensorsFile {
  readonly path: string;
  readonly size: number;
  /** `__metadata__` in file order, or null when absent. */
  readonly metadata: Map<string, string> | null;
  /** Tensors in header (JSON key) order. */
  readonly tensors: readonly TensorInfo[];
  /** Length of the JSON header in bytes (data starts at 8 + headerLength). */
  readonly headerLength: number;
  #byName: Map<string, TensorInfo>;
  #h: ReadHandle | null;

  /** Opens and validates `path` (the validate kernel must be loaded). */
  constructor(path: string) {
    this.path = path;
    const h = new ReadHandle(path);
    try {
      this.size = h.size;
      const { metadata, tensors, headerLength } = readHeader(h);
      this.metadata = metadata;
      this.tensors = tensors;
      this.headerLength = headerLength;
      this.#byName = new Map(tensors.map((t) => [t.name, t]));
    } catch (err) {
      h.close();
      throw err;
    }
    this.#h = h;
  }

  get(name: string): TensorInfo | undefined {
    return this.#byName.get(name);
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /**
   * Reads `length` bytes of `info` starting `start` bytes into the tensor, into
   * `into` (its first `length` bytes) or a new buffer.
   */
  read(info: TensorInfo, start = 0, length = info.byteLength - start, into?: Uint8Array): Uint8Array {
    const known = this.#byName.get(info.name);
    if (info.file !== this.path || !known || known.offset !== info.offset || known.byteLength !== info.byteLength) {
      throw new SafetensorsError(this.path, `tensor is not part of this file (it belongs to ${info.file})`, { tensor: info.name });
    }
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > info.byteLength) {
      throw new RangeError(`read of [${start}, ${start}+${length}) is outside tensor '${info.name}' (${info.byteLength} bytes)`);
    }
    if (into && into.length < length) throw new RangeError(`buffer of ${into.length} bytes is too small for ${length}`);
    const buf = into ? into.subarray(0, length) : new Uint8Array(length);
    if (length === 0) return buf;
    if (!this.#h) throw new SafetensorsError(this.path, 'the file was already closed', { tensor: info.name });
    return this.#h.readAt(info.offset + start, length, buf);
  }

  close(): void {
    this.#h?.close();
    this.#h = null;
  }
}

function readHeader(h: ReadHandle): { metadata: Map<string, string> | null; tensors: TensorInfo[]; headerLength: number } {
  if (!isValidateLoaded()) {
    throw new Error('safetensors reader not ready: await loadSafetensorsReader() once before opening files');
  }
  const file = h.path;
  const size = h.size;
  if (size === 0) {
    throw new SafetensorsError(file, 'the file is empty (0 bytes); a safetensors file starts with an 8-byte header length', { hint: HINT_TRUNCATED });
  }
  if (size < 8) {
    throw new SafetensorsError(file, `the file is only ${size} bytes; a safetensors file starts with an 8-byte header length`, { hint: HINT_TRUNCATED });
  }
  const prefix = h.readAt(0, 8);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    const what = sniff(h.readAt(0, Math.min(size, 64)));
    throw new SafetensorsError(file,
      `the header length field claims ${n} bytes, above the ${MAX_HEADER_BYTES}-byte limit` + (what ? `: ${what}` : ''),
      { hint: what ? HINT_NOT_ST : 'the first 8 bytes are not a plausible header length: the file is corrupted or not safetensors' });
  }
  const headerLength = Number(n);
  if (headerLength > size - 8) {
    throw new SafetensorsError(file,
      `header length past end of file: the header claims ${headerLength} bytes but only ${size - 8} follow the 8-byte length`,
      { hint: HINT_TRUNCATED });
  }
  const raw = h.readAt(8, headerLength);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    const what = sniff(h.readAt(0, Math.min(size, 64)));
    throw new SafetensorsError(file, 'header is not valid UTF-8' + (what ? `: ${what}` : ''), { hint: what ? HINT_NOT_ST : HINT_CORRUPT });
  }
  const { metadata, entries } = parseHeaderText(file, text);
  const dataStart = 8 + headerLength;
  const dataLength = size - dataStart;
  // The crate sorts by (begin, end) before checking contiguity; so do we (stable).
  const sorted = entries.slice().sort((a, b) => (a.begin < b.begin ? -1 : a.begin > b.begin ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  const layout: LayoutEntry[] = sorted.map((e) => ({ elemSize: ST_DTYPE_SIZE[e.dtype], shape: e.shape, begin: e.begin, end: e.end }));
  const failure = validateLayoutSync(layout, dataLength);
  if (failure) throw layoutError(file, failure, sorted, dataLength);
  // Validated: every offset is ≤ dataLength < 2^53, so numbers are exact.
  const tensors = entries.map((e): TensorInfo => ({
    name: e.name,
    dtype: e.dtype,
    shape: e.shape.map(Number),
    file,
    offset: dataStart + Number(e.begin),
    byteLength: Number(e.end - e.begin),
  }));
  return { metadata, tensors, headerLength };
}

/** Opens and validates a safetensors file (after `await loadSafetensorsReader()`). */
export function openSafetensors(path: string): SafetensorsFile {
  return new SafetensorsFile(path);
}
