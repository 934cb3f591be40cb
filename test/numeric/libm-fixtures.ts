// Golden-vector fixtures for the libm tests (written by scripts/gen-libm-vectors.py;
// they stay in the source tree, next to the compiled tests' sources).
import { gunzipSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from '../../src/io/fs.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

/** The little-endian doubles of a gzipped fixture file. */
export function records(name: string): Float64Array {
  const raw = gunzipSync(readFile(resolve(FIXTURES, name)));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  return Float64Array.from({ length: raw.length / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

/** Bit-identical, except that every NaN equals every NaN. */
export const same = (x: number, y: number): boolean => Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));

/** The 16 hex digits of a double's bits. */
export const hex = (x: number): string => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16).padStart(16, '0');
};
