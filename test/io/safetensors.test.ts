import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsError } from '../../src/errors.js';
import {
  loadSafetensorsReader, openSafetensors, ST_DTYPE_SIZE, ST_DTYPES, MAX_HEADER_BYTES, type StDtype,
} from '../../src/io/safetensors.js';
import { decodeToF64 } from '../../src/io/tensor-decode.js';
import { corpusDir } from '../helpers/corpus.js';
import { parseJsonStrict, type StrictJsonOptions } from '../../src/format/json-parse.js';
import { buildSt, bytesOf, concat, stBytes, tempDir, u64le, writeAt } from './st-build.js';

const tmp = tempDir('st');
let seq = 0;

test.before(async () => { await loadSafetensorsReader(); });
test.after(() => tmp.cleanup());

function file(bytes: Uint8Array | string): string {
  return writeAt(tmp.dir, `f${seq++}.safetensors`, bytes);
}

/** Opens bytes that must fail with a SafetensorsError whose message matches `re`. */
function rejects(bytes: Uint8Array, re: RegExp, opts: { tensor?: string; hint?: RegExp } = {}): SafetensorsError {
  const p = file(bytes);
  let err: unknown;
  try {
    openSafetensors(p).close();
  } catch (e) {
    err = e;
  }
  if (err === undefined) assert.unreachable(`expected ${re} but the file opened`);
  if (!(err instanceof SafetensorsError)) throw new Error(`not a SafetensorsError: ${String(err)}`);
  assert.match(err.message, re);
  assert.ok(err.message.startsWith(p + ':'), `message names the file: ${err.message}`);
  assert.is(err.file, p);
  assert.is(err.tensor, opts.tensor, `tensor of: ${err.message}`);
  assert.ok(err.hint && err.hint.length > 15, 'has a hint');
  if (opts.hint) assert.match(err.hint!, opts.hint);
  return err;
}

const f32 = (...v: number[]) => bytesOf(new Float32Array(v));
const hdr = (o: unknown) => JSON.stringify(o);
const one = (entry: object, data: Uint8Array, extra = '') => stBytes(`{"a":${JSON.stringify(entry)}${extra}}`, data);

// ---- malformed-header corpus --------------------------------------------------------

test('zero-byte file', () => {
  rejects(new Uint8Array(0), /empty \(0 bytes\)/, { hint: /truncated/ });
});

test('truncated length prefix (< 8 bytes)', () => {
  rejects(new Uint8Array([16, 0, 0, 0, 0]), /only 5 bytes/, { hint: /truncated/ });
});

test('header length past end of file', () => {
  const h = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
  rejects(concat(u64le(1000), h.subarray(0, 20)), /header length past end of file: the header claims 1000 bytes but only 20 follow/, { hint: /truncated/ });
});

test('100 MB header claim; the cap itself is allowed through to the size check', () => {
  rejects(concat(u64le(MAX_HEADER_BYTES + 1), new TextEncoder().encode('{}')), /claims 100000001 bytes, above the 100000000-byte limit/);
  rejects(concat(u64le(2n ** 64n - 1n), new Uint8Array(8)), /claims 18446744073709551615 bytes/);
  rejects(concat(u64le(MAX_HEADER_BYTES), new TextEncoder().encode('{}')), /header length past end of file/);
});

test('wrong kinds of file are named', () => {
  rejects(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1234\n'), /Git LFS pointer/);
  rejects(new TextEncoder().encode('<!DOCTYPE html><html><body>404</body></html>'), /HTML/);
  rejects(new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0, 0, 0]), /zip archive/);
});

test('header not UTF-8', () => {
  rejects(stBytes(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /header is not valid UTF-8/);
});

test('header not JSON', () => {
  rejects(stBytes('{"a": {"dtype": "F32",'), /header is not valid JSON \(.*line 1 column/);
  rejects(stBytes('{} x'), /not valid JSON \(Extra data/);
  rejects(stBytes('\ufeff{}'), /not valid JSON/); // a BOM is not JSON (serde_json agrees)
});

test('header JSON not an object', () => {
  rejects(stBytes('[1, 2]'), /header JSON is a list, expected an object/);
  rejects(stBytes('"x"'), /header JSON is the string "x"/);
  rejects(stBytes('null'), /header JSON is null/);
});

test('non-standard NaN/Infinity tokens are refused', () => {
  rejects(stBytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":NaN}}', f32(1)), /non-standard NaN\/Infinity/);
});

test('tensor entry shape errors', () => {
  rejects(one({ dtype: 'F32', shape: [1] }, f32(1)), /no 'data_offsets' field/, { tensor: 'a' });
  rejects(stBytes('{"a":[1,2]}'), /entry is a list, expected an object/, { tensor: 'a' });
  rejects(one({ dtype: 32, shape: [1], data_offsets: [0, 4] }, f32(1)), /dtype is the integer 32/, { tensor: 'a' });
  rejects(one({ dtype: 'F32', shape: 4, data_offsets: [0, 4] }, f32(1)), /shape is the integer 4, expected a list/, { tensor: 'a' });
  rejects(one({ dtype: 'F32', shape: [-1], data_offsets: [0, 4] }, f32(1)), /shape \[-1\] has the integer -1/, { tensor: 'a' });
  rejects(stBytes('{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', f32(1)), /has the number 1, expected non-negative integers/, { tensor: 'a' });
  rejects(one({ dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] }, f32(1)), /data_offsets is a list of 3 items, expected \[begin, end\]/, { tensor: 'a' });
});

test('unknown dtype', () => {
  const e = rejects(one({ dtype: 'F4', shape: [2], data_offsets: [0, 1] }, new Uint8Array(1)), /unknown dtype 'F4' \(supported: F64 F32/, { tensor: 'a' });
  assert.match(e.hint!, /newer safetensors/);
  rejects(one({ dtype: 'f32', shape: [1], data_offsets: [0, 4] }, f32(1)), /unknown dtype 'f32'/, { tensor: 'a' });
});

test('negative, overflowing and non-integer offsets', () => {
  rejects(stBytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', f32(1)), /negative offset -4/, { tensor: 'a' });
  rejects(stBytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}', f32(1)), /offset 18446744073709551616, which overflows 64 bits/, { tensor: 'a' });
  rejects(stBytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', f32(1)), /data_offsets has the number 4/, { tensor: 'a' });
  rejects(stBytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}', f32(1)), /data_offsets has the string "4"/, { tensor: 'a' });
  rejects(stBytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}}', f32(1)), /data_offsets has the number 4/, { tensor: 'a' });
});

test('offsets that fit u64 but not the file (checked in wasm)', () => {
  rejects(stBytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551611,18446744073709551615]}}', f32(1)), /leave a hole/, { tensor: 'a' });
  rejects(stBytes('{"a":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,9007199254740993]}}', f32(1)), /above 2\^53 - 1/, { tensor: 'a' });
});

test('element count overflow', () => {
  // Each dimension is plausible, the product is not: 2^32 · 2^32 · 2^32 overflows u64.
  rejects(one({ dtype: 'F32', shape: [4294967296, 4294967296, 4294967296], data_offsets: [0, 4] }, f32(1)), /overflows 64-bit arithmetic/, { tensor: 'a' });
  // The count fits, × element size does not.
  rejects(one({ dtype: 'F64', shape: [4294967296, 536870912], data_offsets: [0, 8] }, f32(1, 1)), /overflows 64-bit/, { tensor: 'a' });
  // Like the crate, the fold checks each step: a later 0 does not excuse an overflow.
  rejects(one({ dtype: 'F32', shape: [4294967296, 4294967296, 4294967296, 0], data_offsets: [0, 0] }, new Uint8Array(0)), /overflows/, { tensor: 'a' });
});

test('overlapping tensors', () => {
  const h = hdr({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } });
  const e = rejects(stBytes(h, f32(1, 2, 3)), /overlap 'a' \(which ends at byte 8\)/, { tensor: 'b' });
  assert.match(e.hint!, /corrupted/);
  const same = hdr({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
  rejects(stBytes(same, f32(1)), /overlap 'a'/, { tensor: 'b' });
});

test('hole between tensors, and before the first', () => {
  const h = hdr({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } });
  rejects(stBytes(h, f32(1, 2, 3)), /data_offsets \[8, 12\] leave a hole: the data should continue at byte 4 \(where 'a' ends\), found it starting at 8/, { tensor: 'b' });
  rejects(one({ dtype: 'F32', shape: [1], data_offsets: [4, 8] }, f32(1, 2)), /continue at byte 0, found it starting at 4/, { tensor: 'a' });
});

test('end before begin', () => {
  // Sorted by (begin, end), [4, 0] comes after [0, 4] and begins where it should, but ends before it begins.
  const h = hdr({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } });
  rejects(stBytes(h, f32(1)), /\[4, 0\]: the end offset is before the begin offset/, { tensor: 'b' });
});

test('dtype/shape/length mismatch', () => {
  rejects(one({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] }, f32(1, 2, 3)),
    /dtype F32 with shape \[2, 2\] needs 16 bytes, but data_offsets \[0, 12\] span 12 bytes/, { tensor: 'a' });
  rejects(one({ dtype: 'BF16', shape: [3], data_offsets: [0, 4] }, f32(1)), /BF16 with shape \[3\] needs 6 bytes/, { tensor: 'a' });
});

test('duplicate tensor names, and duplicate fields', () => {
  const dup = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
  rejects(stBytes(dup, f32(1, 2)), /lists this tensor name more than once/, { tensor: 'a' });
  // Escaped spellings of the same name are the same name.
  const esc = '{"ab":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a\\u0062":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
  rejects(stBytes(esc, f32(1, 2)), /more than once/, { tensor: 'ab' });
  rejects(stBytes('{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1)), /field 'dtype' more than once/, { tensor: 'a' });
});

test('trailing garbage after the last tensor', () => {
  const good = buildSt({ a: { dtype: 'F32', shape: [1], data: f32(1) } });
  rejects(concat(good, new Uint8Array([1, 2, 3])), /3 bytes of trailing data: the tensors end at byte 4 of the data area, but the file holds 7/);
  rejects(stBytes('{}', new Uint8Array(2)), /2 bytes of trailing data/);
});

test('truncated payload', () => {
  const good = buildSt({ a: { dtype: 'F32', shape: [4], data: f32(1, 2, 3, 4) } });
  rejects(good.subarray(0, good.length - 3), /run past the end of the file: the data area holds 13 bytes but the header needs at least 16 \(3 bytes missing\)/,
    { tensor: 'a', hint: /truncated/ });
});

test('__metadata__ must be an object of strings', () => {
  rejects(stBytes('{"__metadata__":{"format":1}}'), /'__metadata__' entry 'format' is the integer 1, expected a string/);
  rejects(stBytes('{"__metadata__":["pt"]}'), /'__metadata__' is a list/);
  // Other dunder keys are tensors to the crate, so they must look like tensors.
  rejects(stBytes('{"__other__":{"x":"y"}}'), /no 'dtype' field/, { tensor: '__other__' });
});

test('random corruption never crashes: always a SafetensorsError or a valid open', () => {
  const good = buildSt({
    'w.weight': { dtype: 'F32', shape: [2, 3], data: f32(1, 2, 3, 4, 5, 6) },
    'w.bias': { dtype: 'BF16', shape: [3], data: new Uint8Array(6) },
  }, { format: 'pt' });
  let state = 12345;
  const rnd = (n: number) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % n; };
  let opened = 0;
  let failed = 0;
  for (let i = 0; i < 400; i++) {
    const b = good.slice();
    const flips = 1 + rnd(3);
    for (let j = 0; j < flips; j++) b[rnd(b.length)] = rnd(256);
    const cut = rnd(10) === 0 ? rnd(b.length) : b.length;
    const p = writeAt(tmp.dir, 'fuzz.safetensors', b.subarray(0, cut));
    try {
      const f = openSafetensors(p);
      for (const t of f.tensors) f.read(t);
      f.close();
      opened++;
    } catch (e) {
      if (!(e instanceof SafetensorsError)) throw e;
      assert.ok(e.hint, `hint for ${e.message}`);
      failed++;
    }
  }
  assert.ok(failed > 100 && opened > 10, `opened ${opened}, failed ${failed}`);
});

// ---- what the crate accepts -----------------------------------------------------------

test('empty header, empty tensors, scalars, null metadata, extra fields, padding', () => {
  const empty = openSafetensors(file(stBytes('{}')));
  assert.equal(empty.tensors, []);
  assert.is(empty.metadata, null);
  empty.close();
  const padded = openSafetensors(file(stBytes('  {"__metadata__":null}    ')));
  assert.is(padded.metadata, null);
  padded.close();

  const h = '{"z":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
    '"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},' +
    '"e2":{"dtype":"I64","shape":[3,0,2],"data_offsets":[4,4]},' +
    '"x":{"dtype":"U8","shape":[2],"data_offsets":[4,6],"note":{"any":[1,2]}}}';
  const f = openSafetensors(file(stBytes(h, concat(f32(2.5), new Uint8Array([7, 9])))));
  assert.equal(f.tensors.map((t) => [t.name, t.shape, t.byteLength]), [['z', [], 4], ['e', [0], 0], ['e2', [3, 0, 2], 0], ['x', [2], 2]]);
  assert.equal([...decodeToF64('F32', f.read(f.get('z')!))], [2.5]);
  assert.equal(f.read(f.get('e')!).length, 0);
  assert.equal([...f.read(f.get('x')!)], [7, 9]);
  f.close();
});

test('header order is kept even when offsets run the other way', () => {
  const h = '{"__metadata__":{"b":"2","a":"1"},"10":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},' +
    '"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"2":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
  const f = openSafetensors(file(stBytes(h, new Uint8Array([30, 20, 10]))));
  assert.equal(f.tensors.map((t) => t.name), ['10', 'b', '2']);
  assert.equal(f.tensors.map((t) => f.read(t)[0]), [10, 20, 30]);
  assert.equal([...f.metadata!.entries()], [['b', '2'], ['a', '1']]);
  f.close();
});

test('every dtype: sizes, offsets and decoded values', () => {
  const specs: Record<StDtype, [Uint8Array, number[]]> = {
    F64: [bytesOf(new Float64Array([1.5, -0.1, 1e300])), [1.5, -0.1, 1e300]],
    F32: [f32(1.5, -0.25, 3.4028234663852886e38), [1.5, -0.25, 3.4028234663852886e38]],
    F16: [bytesOf(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001])), [1, -2, 65504, 2 ** -24]],
    BF16: [bytesOf(new Uint16Array([0x3f80, 0x4049, 0xc000])), [1, 3.140625, -2]],
    F8_E4M3: [new Uint8Array([0x38, 0x7e, 0x01]), [1, 448, 2 ** -9]],
    F8_E5M2: [new Uint8Array([0x3c, 0x7b, 0x01]), [1, 57344, 2 ** -16]],
    I64: [bytesOf(new BigInt64Array([-1n, 2n ** 53n + 1n])), [-1, 2 ** 53]],
    I32: [bytesOf(new Int32Array([-2147483648, 7])), [-2147483648, 7]],
    I16: [bytesOf(new Int16Array([-32768, 5])), [-32768, 5]],
    I8: [new Uint8Array([0x80, 0x7f]), [-128, 127]],
    U64: [bytesOf(new BigUint64Array([2n ** 64n - 1n, 3n])), [2 ** 64, 3]],
    U32: [bytesOf(new Uint32Array([4294967295])), [4294967295]],
    U16: [bytesOf(new Uint16Array([65535, 1])), [65535, 1]],
    U8: [new Uint8Array([0, 255, 128]), [0, 255, 128]],
    BOOL: [new Uint8Array([0, 1, 2]), [0, 1, 1]],
  };
  assert.equal(Object.keys(specs).sort(), [...ST_DTYPES].sort());
  // An odd-sized U8 first so that wider tensors start unaligned in the file.
  const tensors: [string, { dtype: string; shape: number[]; data: Uint8Array }][] = [['pad', { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) }]];
  for (const [dt, [data]] of Object.entries(specs)) {
    tensors.push([`t.${dt}`, { dtype: dt, shape: [data.length / ST_DTYPE_SIZE[dt as StDtype]], data }]);
  }
  const f = openSafetensors(file(buildSt(tensors)));
  assert.is(f.tensors.length, 16);
  for (const [dt, [data, values]] of Object.entries(specs)) {
    const t = f.get(`t.${dt}`)!;
    assert.is(t.dtype, dt);
    assert.is(t.byteLength, data.length);
    const raw = f.read(t);
    assert.equal([...raw], [...data], dt);
    assert.equal([...decodeToF64(t.dtype, raw)], values, dt);
    // Unaligned chunked read of the tail.
    if (t.byteLength > 1) assert.equal([...f.read(t, 1)], [...data.subarray(1)]);
  }
  f.close();
});

test('ranged reads, into buffers, bounds and close', () => {
  const f = openSafetensors(file(buildSt({ a: { dtype: 'U8', shape: [10], data: new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) } })));
  const t = f.get('a')!;
  assert.equal([...f.read(t, 3, 4)], [3, 4, 5, 6]);
  const buf = new Uint8Array(16).fill(99);
  const got = f.read(t, 8, 2, buf);
  assert.equal([...got], [8, 9]);
  assert.is(got.buffer, buf.buffer);
  assert.is(buf[2], 99);
  assert.throws(() => f.read(t, 8, 3), /outside tensor 'a'/);
  assert.throws(() => f.read(t, -1, 1), /outside/);
  assert.throws(() => f.read(t, 0, 4, new Uint8Array(2)), /too small/);
  const other = { ...t, file: '/elsewhere' };
  assert.throws(() => f.read(other), /not part of this file/);
  f.close();
  assert.throws(() => f.read(t), (e: unknown) => e instanceof SafetensorsError && /already closed/.test(e.message));
});

test('strict JSON parsing finds duplicates only where asked, and NaN/Infinity tokens', () => {
  const all: StrictJsonOptions = { duplicates: () => true, nonFinite: true };
  const odd = (text: string, opts = all) => parseJsonStrict(text, opts).oddity;
  assert.is(odd('{"a":1,"b":{"a":2}}'), null);
  assert.equal(odd('{"a":1,"b":{"x":2,"x":3}}'), { kind: 'duplicate', path: ['b'], key: 'x' });
  assert.is(odd('{"m":{"x":2,"x":3}}', { duplicates: (p) => p.length === 0, nonFinite: true }), null);
  assert.equal(odd('{"k":"NaN \\" : ","a":[{"q":1},{"q":2}]}'), null);
  assert.equal(odd('{"a":[1,Infinity]}'), { kind: 'nonstandard', at: 8 });
});

test('the conformance inputs open (the two broken ones fail clearly)', () => {
  const root = join(corpusDir(), 'cases');
  const found: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n === 'model.safetensors') found.push(p);
    }
  };
  for (const c of readdirSync(root)) if (existsSync(join(root, c, 'input'))) walk(join(root, c, 'input'));
  assert.ok(found.length >= 30, `found ${found.length}`);
  let ok = 0;
  for (const p of found) {
    const kase = p.slice(root.length + 1).split('/')[0]!;
    if (kase === 'err_empty_safetensors' || kase === 'err_truncated_safetensors') {
      assert.throws(() => openSafetensors(p), (e: unknown) => e instanceof SafetensorsError && e.hint !== undefined &&
        (kase === 'err_empty_safetensors' ? /empty \(0 bytes\)/ : /run past the end of the file.*100 bytes missing/).test(e.message));
      continue;
    }
    const f = openSafetensors(p);
    assert.ok(f.tensors.length > 0, p);
    let total = 0;
    for (const t of f.tensors) {
      total += f.read(t).length;
      if (t.dtype !== 'U8') assert.ok(decodeToF64(t.dtype, f.read(t)).every((x) => Number.isFinite(x)), `${p} ${t.name}`);
    }
    assert.is(8 + f.headerLength + total, f.size);
    f.close();
    ok++;
  }
  assert.is(ok, found.length - 2);
});

test.run();
