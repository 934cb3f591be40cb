// Property tests for the package readers: the manifest decoder and the array
// file checker, on every corpus manifest and array file, mutated. The decoder
// gives a FormatError or a manifest that re-encodes to the same bytes; the array
// checker reports a problem for every single-byte change it can see (all but
// two kinds that leave the file valid), and never throws, reads outside the
// file or allocates more than it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { getFsBackend, setFsBackend } from '../../src/io/fs.js';
import { FormatError } from '../../src/errors.js';
import { decodeManifest, encodeManifest, MANIFEST_LAYOUT, FIXED_BYTES, ENTRY_BYTES } from '../../src/format/manifest.js';
import { checkArrayFile, decodeHeader, HEADER_BYTES } from '../../src/format/array-file.js';
import { loadCrc32c } from '../../src/kernels/crc32c.js';
import { DTYPE_SIZES, dtypeFromCode } from '../../src/format/dtypes.js';
import { setup } from './helpers.js';
import { corpusDir } from '../helpers/corpus.js';
import { MemFs, READ_TO_END_CHUNK } from './mem-fs.js';
import { byteMutations, mutateBytes, runProperty } from './fuzz-util.js';

const mem = new MemFs();
const saved = getFsBackend();
let manifests: Uint8Array[] = [];
let arrays: Uint8Array[] = [];

function unique(paths: string[], maxBytes: number): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const p of paths) {
    const b = new Uint8Array(readFileSync(p));
    const h = createHash('sha256').update(b).digest('hex');
    if (b.length <= maxBytes && !seen.has(h)) { seen.add(h); out.push(b); }
  }
  return out;
}

test.before(setup('fuzz', async () => {
  await loadCrc32c();
  const find = (...args: string[]) => execFileSync('find', [corpusDir(), ...args], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  manifests = unique(find('-name', 'sera_manifest.bin'), 1 << 20);
  arrays = unique(find('-path', '*expected/out/arrays/*.bin'), 256 * 1024);
  setFsBackend(mem);
}));
test.after(() => { setFsBackend(saved); });

// ---- manifest ---------------------------------------------------------------

const SIZES: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, f32: 4, d128: 16, pad3: 3, pad7: 7 };

/** Byte offsets the codec does not round-trip: padding (written as zero) and f32 NaNs (payload not kept). */
function unstableBytes(m: ReturnType<typeof decodeManifest>): Set<number> {
  const out = new Set<number>();
  let off = 0;
  for (const [section, fields] of MANIFEST_LAYOUT) {
    for (const [field, type] of fields) {
      const isNaN32 = type === 'f32' && Number.isNaN(m.sections[section]![field] as number);
      if (type === 'pad3' || type === 'pad7' || isNaN32) for (let i = 0; i < SIZES[type]!; i++) out.add(off + i);
      off += SIZES[type]!;
    }
  }
  return out;
}

function decodeAndCheck(bytes: Uint8Array): void {
  const m = decodeManifest(bytes, 'sera_manifest.bin');
  if (bytes.length !== FIXED_BYTES + 4 + ENTRY_BYTES * m.entries.length) throw new Error(`accepted ${bytes.length} bytes for ${m.entries.length} entries`);
  const again = encodeManifest(m);
  if (again.length !== bytes.length) throw new Error('re-encoded length differs');
  const skip = unstableBytes(m);
  for (let i = 0; i < bytes.length; i++) {
    if (again[i] !== bytes[i] && !skip.has(i)) throw new Error(`byte ${i} does not round-trip (${bytes[i]} → ${again[i]})`);
  }
}

test('manifest decoder: mutated corpus manifests and random bytes', () => {
  for (const m of manifests) decodeAndCheck(m);
  const pick = fc.nat({ max: manifests.length - 1 });
  const arb = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(pick, byteMutations(4)).map(([i, ops]) => mutateBytes(manifests[i]!, ops, FIXED_BYTES + 4)) },
    { weight: 2, arbitrary: fc.tuple(pick, fc.integer({ min: 0, max: 0xffff })).map(([i, n]) => { // the entry count field
      const b = manifests[i]!.slice();
      new DataView(b.buffer).setUint16(FIXED_BYTES, n, true);
      return b;
    }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: FIXED_BYTES + 4 + ENTRY_BYTES * 4 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }).chain((n) => fc.uint8Array({ minLength: FIXED_BYTES + 4 + ENTRY_BYTES * n, maxLength: FIXED_BYTES + 4 + ENTRY_BYTES * n })) },
  );
  const s = runProperty('manifest decoder', arb, [FormatError], decodeAndCheck, { numRuns: 3000 });
  assert.ok(s.accepted > 0 && s.refused > 0);
});

// ---- array files ------------------------------------------------------------

const PATH = '/pkg/arrays/x.bin';

function check(bytes: Uint8Array): ReturnType<typeof checkArrayFile> {
  mem.reset();
  mem.set(PATH, bytes);
  try {
    const c = checkArrayFile(PATH);
    if (c.payloadBytes > bytes.length) throw new Error(`payload of ${c.payloadBytes} bytes in a ${bytes.length}-byte file`);
    return c;
  } finally {
    if (mem.outOfBounds.length) throw new Error(`read outside the file: ${mem.outOfBounds[0]}`);
    if (mem.maxRequest > Math.max(bytes.length, READ_TO_END_CHUNK)) throw new Error(`read request of ${mem.maxRequest} bytes from a ${bytes.length}-byte file`);
  }
}

/**
 * Whether a single-byte change at `pos` leaves the file valid by FORMAT.md §2, so
 * no checker can see it: a header whose dtype, rank, dims and flags change but
 * still describe the same payload (e.g. f32 ↔ i32, rank 2 → 4 with trailing 1s,
 * a dim change when another dim is 0, the ftz flag bit). Every other byte is
 * covered by the magic, byte_len, crc32c, sha256_low64, reserved and padding.
 */
function invisible(orig: Uint8Array, pos: number, val: number): boolean {
  const described = pos >= 4 && pos < 48 || pos >= 72 && pos < 76; // dtype, rank, dims, flags
  if (!described) return false;
  const m = orig.slice(0, HEADER_BYTES);
  m[pos] = val;
  const h = decodeHeader(m);
  const dtype = dtypeFromCode(h.dtypeCode);
  if (!dtype || h.rank > 5) return false;
  if (h.dims.slice(h.rank).some((d) => d !== 1n)) return false;
  if ((h.flags & ~0x7) !== 0 || (h.flags & 0x1) === 0 || (h.flags & 0x2) === 0) return false;
  return h.dims.slice(0, h.rank).reduce((a, d) => a * d, 1n) * BigInt(DTYPE_SIZES[dtype]) === h.byteLen;
}

test('array checker: every corpus array is valid as written', () => {
  for (const a of arrays) assert.equal(check(a).problems, []);
  console.log(`[fuzz] array checker: ${arrays.length} distinct corpus arrays valid`);
});

test('array checker: every visible single-byte change is reported', () => {
  const arb = fc.tuple(fc.nat({ max: arrays.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean())
    .map(([i, p, delta, inHeader]) => {
      const orig = arrays[i]!;
      const pos = p % (inHeader ? Math.min(128, orig.length) : orig.length);
      return { orig, pos, val: (orig[pos]! + delta) & 0xff };
    });
  const s = runProperty('array checker (single-byte changes)', arb, [], ({ orig, pos, val }) => {
    const b = orig.slice();
    b[pos] = val;
    const c = check(b);
    const hidden = invisible(orig, pos, val);
    if (c.problems.length === 0 && !hidden) throw new Error(`byte ${pos} changed ${orig[pos]} → ${val} and no problem was reported`);
    if (c.problems.length > 0 && hidden) throw new Error(`a valid change at byte ${pos} was reported: ${c.problems[0]}`);
  }, { numRuns: 3000 });
  assert.is(s.refused, 0);
});

test('array checker: mutated and random files never crash', () => {
  const pick = fc.nat({ max: arrays.length - 1 });
  const arb = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(pick, byteMutations(4)).map(([i, ops]) => mutateBytes(arrays[i]!, ops, 128)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: HEADER_BYTES, maxLength: HEADER_BYTES }).map((h) => { // a valid magic, random fields
      const b = new Uint8Array(h.length + 64);
      b.set(h);
      new DataView(b.buffer).setUint32(0, 0x53455241, true);
      return b;
    }) },
  );
  const s = runProperty('array checker (mutated)', arb, [FormatError], (b) => {
    const c = check(b);
    const truncatedOrExtended = c.header && BigInt(b.length) !== 128n + c.header.byteLen;
    if (truncatedOrExtended && c.problems.length === 0) throw new Error('a file whose size contradicts its header was accepted');
  }, { numRuns: 2000 });
  assert.ok(s.cases > 0);
});

test.run();
