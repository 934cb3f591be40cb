// The value model for everything serialised the way Python's json/msgpack see it:
// bigint = Python int, number = Python float (the distinction prints as 4 vs 4.0),
// Uint8Array = bytes, Map = dict with insertion order (keys already str()-ed).
import { toHexDigest } from './hash.js';

export type PyValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | Uint8Array
  | PyValue[]
  | PyDict;

export type PyDict = Map<string, PyValue>;

/** A dict from a plain object literal (its keys must not look like integers: JS reorders those). */
export function dict(obj: Record<string, PyValue | undefined>): PyDict {
  const m: PyDict = new Map();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) m.set(k, v);
  return m;
}

/** A dict from entries, preserving their order. */
export function dictOf(entries: Iterable<readonly [string, PyValue]>): PyDict {
  return new Map(entries);
}

/** Python int from a JS integer number. */
export function int(n: number | bigint): bigint {
  return typeof n === 'bigint' ? n : BigInt(n);
}

/** Python's `_json_value` transform of bytes (FORMAT.md §5.2). */
export function bytesTag(b: Uint8Array): string {
  return '__sera_bytes__:' + toHexDigest(b);
}


export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}
