// Property tests for the safetensors header parser and the shard index parser:
// random and mutated inputs (starting from every corpus checkpoint) give a
// SafetensorsError or a store whose every claim fits the file, never another
// exception, a hang, a read past the end of a file or an allocation larger than
// it; shard names that leave the checkpoint folder are refused before any file
// outside it is touched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { execFileSync } from 'node:child_process';
import { getFsBackend, setFsBackend } from '../../src/io/fs.js';
import { SafetensorsError } from '../../src/errors.js';
import { loadSafetensorsReader, openSafetensors, ST_DTYPE_SIZE } from '../../src/io/safetensors.js';
import { openIndex, unsafeShardName } from '../../src/io/shards.js';
import { setup } from './helpers.js';
import { corpusDir } from '../helpers/corpus.js';
import { buildSt, u64le, concat } from '../io/st-build.js';
import { MemFs, READ_TO_END_CHUNK } from './mem-fs.js';
import { byteMutations, mutateBytes, mutateJsonText, runProperty, textMutations } from './fuzz-util.js';

const mem = new MemFs();
const saved = getFsBackend();
let corpus: Uint8Array[] = [];

function headerLength(b: Uint8Array): number {
  return b.length >= 8 ? Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)) : 0;
}

test.before(setup('fuzz', async () => {
  await loadSafetensorsReader();
  const files = execFileSync('find', [corpusDir(), '-name', '*.safetensors', '-size', '+0'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  const seen = new Set<string>();
  for (const f of files) {
    const b = new Uint8Array(readFileSync(f));
    const h = createHash('sha256').update(b).digest('hex');
    if (!seen.has(h)) { seen.add(h); corpus.push(b); }
  }
  // shapes the corpus lacks: metadata, a zero-size tensor, a scalar, every dtype size
  corpus.push(buildSt({
    scalar: { dtype: 'F64', shape: [], data: new Uint8Array(8).fill(1) },
    empty: { dtype: 'F32', shape: [0, 3], data: new Uint8Array(0) },
    b: { dtype: 'BOOL', shape: [3], data: new Uint8Array([0, 1, 0]) },
    h: { dtype: 'I16', shape: [2, 2], data: new Uint8Array(8) },
  }, { format: 'pt', note: 'x' }));
  setFsBackend(mem);
}));
test.after(() => { setFsBackend(saved); });

const PATH = '/ck/model.safetensors';

/** Opens `bytes` as a safetensors file; on success checks every claim against the file and reads every tensor. */
function openAndCheck(bytes: Uint8Array): void {
  mem.reset();
  mem.set(PATH, bytes);
  try {
    const f = openSafetensors(PATH);
    try {
      const dataStart = 8 + f.headerLength;
      if (dataStart > bytes.length) throw new Error(`accepted a header of ${f.headerLength} bytes in a ${bytes.length}-byte file`);
      let total = 0;
      const names = new Set<string>();
      for (const t of f.tensors) {
        if (names.has(t.name)) throw new Error(`duplicate tensor ${t.name} accepted`);
        names.add(t.name);
        const want = t.shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(ST_DTYPE_SIZE[t.dtype]);
        if (BigInt(t.byteLength) !== want) throw new Error(`${t.name}: ${t.byteLength} bytes for shape ${t.shape} ${t.dtype}`);
        if (t.offset < dataStart || t.offset + t.byteLength > bytes.length) throw new Error(`${t.name}: [${t.offset}, +${t.byteLength}) outside the data`);
        total += t.byteLength;
        const got = f.read(t);
        if (got.length !== t.byteLength) throw new Error(`${t.name}: read ${got.length} bytes`);
      }
      if (total !== bytes.length - dataStart) throw new Error(`tensors cover ${total} of ${bytes.length - dataStart} data bytes`);
    } finally {
      f.close();
    }
  } finally {
    if (mem.outOfBounds.length) throw new Error(`read outside the file: ${mem.outOfBounds[0]}`);
    if (mem.maxRequest > Math.max(bytes.length, READ_TO_END_CHUNK)) throw new Error(`read request of ${mem.maxRequest} bytes from a ${bytes.length}-byte file`);
  }
}

/** A file whose header text was mutated; the length prefix is fixed up (or, sometimes, left stale). */
function withHeaderText(src: Uint8Array, mutate: (t: string) => string, keepPrefix: boolean): Uint8Array {
  const n = headerLength(src);
  const text = new TextDecoder().decode(src.subarray(8, 8 + n));
  const next = new TextEncoder().encode(mutate(text));
  return concat(u64le(keepPrefix ? n : next.length), next, src.subarray(8 + n));
}

test('safetensors header parser: mutated corpus files and random bytes', () => {
  const pick = fc.nat({ max: corpus.length - 1 });
  const arb = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(pick, byteMutations(4)).map(([i, ops]) => mutateBytes(corpus[i]!, ops, 8 + headerLength(corpus[i]!))) },
    { weight: 5, arbitrary: fc.tuple(pick, textMutations(3), fc.boolean()).map(([i, ops, keep]) => withHeaderText(corpus[i]!, (t) => mutateJsonText(t, ops), keep && ops.length === 1)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: 300n }), fc.string({ maxLength: 200 })).map(([n, s]) => concat(u64le(n), new TextEncoder().encode(s))) },
  );
  const s = runProperty('safetensors header', arb, [SafetensorsError], openAndCheck, { numRuns: 3000 });
  assert.ok(s.accepted > 0 && s.refused > 0, 'both outcomes exercised');
});

test('safetensors: claimed sizes far beyond the file are refused without allocating them', () => {
  const base = corpus[0]!;
  for (const claim of [1n << 40n, (1n << 64n) - 1n, 100_000_000n, BigInt(base.length)]) {
    const b = base.slice();
    new DataView(b.buffer).setBigUint64(0, claim, true);
    assert.throws(() => openAndCheck(b), (e: unknown) => e instanceof SafetensorsError);
  }
});

// ---- shard index ----------------------------------------------------------

const DIR = '/ck';
const INDEX = `${DIR}/model.safetensors.index.json`;
const SHARDS: Record<string, Record<string, { dtype: string; shape: number[]; data: Uint8Array }>> = {
  'model-00001-of-00002.safetensors': { a: { dtype: 'U8', shape: [2], data: new Uint8Array([1, 2]) }, b: { dtype: 'F32', shape: [1], data: new Uint8Array(4) } },
  'model-00002-of-00002.safetensors': { c: { dtype: 'I8', shape: [3], data: new Uint8Array([1, 2, 3]) } },
};
const shardBytes = Object.fromEntries(Object.entries(SHARDS).map(([n, t]) => [n, buildSt(t)]));
// Valid safetensors files outside the folder: an escape would open them successfully.
const OUTSIDE = ['/x.safetensors', '/etc/x.safetensors', '/ck2/x.safetensors', '/model-00001-of-00002.safetensors'];

function setupCheckpoint(indexText: string): void {
  mem.reset();
  for (const [n, b] of Object.entries(shardBytes)) mem.set(`${DIR}/${n}`, b);
  for (const p of OUTSIDE) mem.set(p, shardBytes['model-00001-of-00002.safetensors']!);
  mem.set(INDEX, indexText);
}

function indexText(entries: [string, string][], metadata = '{"total_size": 9}'): string {
  return `{"metadata": ${metadata}, "weight_map": {${entries.map(([t, s]) => `${JSON.stringify(t)}: ${JSON.stringify(s)}`).join(', ')}}}`;
}
const VALID: [string, string][] = [['a', 'model-00001-of-00002.safetensors'], ['b', 'model-00001-of-00002.safetensors'], ['c', 'model-00002-of-00002.safetensors']];

/** Independent judgement: would this name reach outside DIR (or be a URL, absolute path or Windows path)? */
function escapes(name: string): boolean {
  if (name.startsWith('/') || name.includes('\\') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(name)) return true;
  const resolved = posix.resolve(DIR, name);
  return !resolved.startsWith(`${DIR}/`);
}

/** `strictNames`: an index with escaping names must be refused for those names (unique keys, valid JSON). */
function openIndexAndCheck(text: string, strictNames = false): void {
  setupCheckpoint(text);
  let names: string[] = [];
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed.weight_map === 'object' && parsed.weight_map) names = Object.values(parsed.weight_map).filter((v): v is string => typeof v === 'string');
  } catch { /* not standard JSON: no oracle for the names */ }
  const hostile = names.filter(escapes);
  try {
    const store = openIndex(INDEX);
    try {
      if (hostile.length) throw new Error(`accepted escaping shard names ${JSON.stringify(hostile)}`);
      for (const t of store.tensors()) {
        if (!t.file.startsWith(`${DIR}/`)) throw new Error(`tensor ${t.name} read from ${t.file}`);
        store.read(t);
      }
    } finally {
      store.close();
    }
  } catch (e) {
    if (hostile.length && !(e instanceof SafetensorsError)) throw new Error(`escaping names ${JSON.stringify(hostile)} not refused: ${(e as Error).message}`);
    if (strictNames && hostile.length && !/refusing shard file names/.test((e as Error).message)) {
      throw new Error(`escaping names ${JSON.stringify(hostile)} refused for another reason: ${(e as Error).message}`);
    }
    throw e;
  } finally {
    const outside = mem.touched.filter((p) => !posix.normalize(p).startsWith(`${DIR}/`) && p !== DIR);
    if (outside.length) throw new Error(`touched ${outside.join(', ')} outside the checkpoint folder`);
    if (mem.outOfBounds.length) throw new Error(`read outside a file: ${mem.outOfBounds[0]}`);
  }
}

const hostileName = fc.oneof(
  fc.constantFrom('../x.safetensors', '/x.safetensors', '/etc/x.safetensors', '../ck2/x.safetensors', 'sub/../../x.safetensors',
    'http://example.com/x.safetensors', 'https://x/model-00001-of-00002.safetensors', 'file:///x.safetensors', 'C:\\x.safetensors',
    'C:x.safetensors', '\\\\server\\share\\x.safetensors', '..\\x.safetensors', './../x.safetensors', '..', '.', '',
    '//x.safetensors', 'model-00001-of-00002.safetensors/..', '%2e%2e/x.safetensors', 'a\u0000.safetensors', 'hf://org/x.safetensors'),
  fc.array(fc.constantFrom('..', '.', '', 'sub', 'model-00001-of-00002.safetensors', 'x.safetensors', 'ck', '...', 'a:b', '\\'), { minLength: 1, maxLength: 5 })
    .chain((parts) => fc.boolean().map((abs) => (abs ? '/' : '') + parts.join('/'))),
  fc.string({ maxLength: 24 }),
);

test('shard index: hostile shard names are refused before anything outside the folder is touched', () => {
  const arb = fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.oneof(fc.constantFrom(...VALID.map((v) => v[1])), hostileName)),
    { minLength: 1, maxLength: 5, selector: (e) => e[0] }).map((entries) => indexText(entries));
  const s = runProperty('shard index (hostile names)', arb, [SafetensorsError], (t) => openIndexAndCheck(t, true), { numRuns: 1500 });
  assert.ok(s.refused > 0, 'refusals exercised');
});

test('shard index: mutated index text', () => {
  const valid = indexText(VALID);
  openIndexAndCheck(valid); // sanity: the unmutated index opens
  const arb = fc.oneof(
    { weight: 4, arbitrary: textMutations(3).map((ops) => mutateJsonText(valid, ops)) },
    { weight: 1, arbitrary: byteMutations(3).map((ops) => new TextDecoder().decode(mutateBytes(new TextEncoder().encode(valid), ops, valid.length))) },
    { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
  );
  const s = runProperty('shard index (mutated text)', arb, [SafetensorsError], (t) => openIndexAndCheck(t), { numRuns: 1500 });
  assert.ok(s.accepted > 0 && s.refused > 0, 'both outcomes exercised');
});

test('unsafeShardName judges every escaping name unsafe', () => {
  runProperty('unsafeShardName', hostileName, [], (name) => {
    if (escapes(name) && unsafeShardName(name) === null) throw new Error(`${JSON.stringify(name)} escapes but is allowed`);
  }, { numRuns: 2000 });
});

test.run();
