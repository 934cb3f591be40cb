// Larger vocabularies than the corpus has, checked against digests of the
// reference's own output (fixtures/reference-hashes.py generates the same
// vocabularies with the same LCG and prints these values): a 3000-piece
// prefix-free code with bytes 0..255 and lengths 1..40, a 400-piece suffix
// code with multi-level Sardinas–Patterson traces, and 40k/100k pieces of one
// length for the per-length MPH (the 100k group exhausts the reference's seed
// search: strict mode fails like the reference, the default grows the table).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { dumps } from '../../../src/format/pyjson.js';
import { dictOf, type PyDict } from '../../../src/format/pyvalue.js';
import { loadMph } from '../../../src/kernels/mph.js';
import { MphError } from '../../../src/stages/mphf.js';
import { loadTokenizerAssets, type TokenizerAssets } from '../../../src/stages/tokenizer/assets.js';
import { tokenizerArrays } from '../../../src/stages/tokenizer/arrays.js';
import { byteLevelChar } from '../../../src/stages/tokenizer/byte-level.js';
import { first64 } from '../../../src/format/hash.js';

type Kind = 'prefix_free' | 'suffix_code' | 'uniform3';

const ALPHABET = [0x61, 0x62, 0x80];

const endsWith = (a: Uint8Array, b: Uint8Array) => b.length <= a.length && b.every((x, i) => a[a.length - b.length + i] === x);

/** The generator of reference-hashes.py, call for call. */
function generate(kind: Kind, count: number, seed: number): Uint8Array[] {
  let state = seed >>> 0;
  const r = (n: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 16) % n;
  };
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  // A random suffix code can saturate before `count`: its attempts are capped.
  const maxAttempts = kind === 'suffix_code' ? 20000 : Infinity;
  for (let attempts = 0; out.length < count && attempts < maxAttempts;) {
    attempts++;
    const bytes: number[] = [];
    if (kind === 'prefix_free') {
      const len = r(40);
      for (let i = 0; i < len; i++) bytes.push(r(255));
      bytes.push(0xff);
    } else if (kind === 'suffix_code') {
      const len = 4 + r(6);
      for (let i = 0; i < len; i++) bytes.push(ALPHABET[r(3)]!);
      const p = Uint8Array.from(bytes);
      if (out.some((q) => endsWith(q, p) || endsWith(p, q))) continue;
    } else {
      for (let i = 0; i < 3; i++) bytes.push(r(256));
    }
    const key = bytes.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(Uint8Array.from(bytes));
  }
  return out;
}

/** json.dumps({'model': {'type': 'BPE', 'vocab': {...}}}) with byte-level token strings. */
function tokenizerJson(pieces: Uint8Array[]): string {
  const vocab = dictOf(pieces.map((p, i) => [Array.from(p, byteLevelChar).join(''), BigInt(i)] as const));
  return dumps(dictOf([['model', dictOf([['type', 'BPE'], ['vocab', vocab]])]]), { indent: null, sortKeys: false });
}

const sha = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

function withAssets<T>(pieces: Uint8Array[], fn: (a: TokenizerAssets) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'sera-tok-gen-'));
  try {
    writeFileSync(join(dir, 'tokenizer.json'), tokenizerJson(pieces));
    return fn(loadTokenizerAssets([dir])!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Golden {
  fst: string;
  tables: string;
  table_count: number;
  metadata: string;
  levels: number;
  sp_digest: string;
  pieces: number;
}

// Printed by fixtures/reference-hashes.py (see there for how to rerun it).
const GOLDEN: Record<string, Golden> = {
  'prefix_free-3000-7': {
    fst: '083c4e13613662295ca726352401b7006f22de52cf07bb2765b0851d61f2b440',
    tables: '0501bc929e7dccf84d956440a3ea2bd6b1c12f0538a2c0d22bfe0fc0e0a00ad8',
    table_count: 40,
    metadata: 'fbda211d83bc66a136dabbced53852755df533af7faca6936d3d2e77922108ef',
    levels: 0,
    sp_digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    pieces: 3000,
  },
  'suffix_code-400-11': {
    fst: '6b40fe70d8510fe6b2cbec7c43abd90b1b036d7557456685a4e5df4e16a75e96',
    tables: 'f10dd3eb46e5c82e5e0621bbf14389af42bae4386b12979cf478b31de9b6b304',
    table_count: 9,
    metadata: 'ca6386992112ce82332f60dbde0249c8b842441bd241d0d2760c1fd720a84866',
    levels: 3,
    sp_digest: '19d495ad7cca8a9cf130cb36d7b212f7f76bd52b8f2dedb7749d1504d5069b16',
    pieces: 400,
  },
  'uniform3-40000-5': {
    fst: '0eb8f48547872f5692a83a2fa94f163f3b87796e4ee8dba15a1e4ba6c46e1c1f',
    tables: '60ebe7ddee798e961484e77396a69419aa85b15ee6c666aa3b544309ce17c6f2',
    table_count: 4,
    metadata: '27acb4b53936a9914c4f40260143371a7ad1c1fbaf459bf7a6f6bbef41a1aeb2',
    levels: 0,
    sp_digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    pieces: 40000,
  },
  'uniform3-100000-5': { error: 'MinimalPerfectHashError: Unable to build minimal perfect hash (seed cap reached)' } as unknown as Golden,
};

function compare(kind: Kind, count: number, seed: number): void {
  const golden = GOLDEN[`${kind}-${count}-${seed}`]!;
  const pieces = generate(kind, count, seed);
  assert.is(pieces.length, golden.pieces);
  withAssets(pieces, (assets) => {
    const r = tokenizerArrays(assets, { vocabSize: pieces.length });
    assert.ok(r.supported);
    assert.equal(r.warnings, []);
    assert.is(r.arrays[0]!.name, 'tokenizer_fst');
    assert.is(sha(r.arrays[0]!.data), golden.fst, 'FST payload');
    const tables = r.arrays.slice(1);
    assert.is(tables.length, golden.table_count);
    assert.equal(tables.map((t) => t.name), tables.map((_, i) => `T_${i + 1}`));
    assert.is(sha(Buffer.concat(tables.map((t) => t.data))), golden.tables, 'T_k payloads');
    const sp = r.metadata.get('sardinas_patterson') as PyDict;
    assert.is(sp.get('digest'), golden.sp_digest);
    assert.is((sp.get('levels') as unknown[]).length, golden.levels);
    (r.metadata.get('provenance') as PyDict).set('path', '<PATH>');
    assert.is(sha(dumps(r.metadata)), golden.metadata, 'metadata JSON');
  });
}

test.before(async () => {
  await loadMph();
});

test('generator sanity: the vocabularies have the intended structure', () => {
  const pf = generate('prefix_free', 3000, 7);
  assert.ok(pf.every((p) => p.indexOf(0xff) === p.length - 1));
  const sc = generate('suffix_code', 400, 11);
  assert.ok(sc.every((p) => !sc.some((q) => q !== p && endsWith(p, q))));
  assert.is(new Set(generate('uniform3', 40000, 5).map((p) => p.join(','))).size, 40000);
});

test('3000-piece prefix-free code matches the reference', () => compare('prefix_free', 3000, 7));
test('400-piece suffix code (multi-level trace) matches the reference', () => compare('suffix_code', 400, 11));
test('40000 pieces of one length (one large MPH group) match the reference', () => compare('uniform3', 40000, 5));

test('100000 pieces of one length: strict fails like the reference, the default grows the MPH table', () => {
  const golden = GOLDEN['uniform3-100000-5'] as unknown as { error: string };
  assert.match(golden.error, /MinimalPerfectHashError: Unable to build minimal perfect hash \(seed cap reached\)/);
  const pieces = generate('uniform3', 100000, 5);
  withAssets(pieces, (assets) => {
    assert.throws(() => tokenizerArrays(assets, { vocabSize: 100000, strict: true }), (e: unknown) => e instanceof MphError && /seed cap reached/.test((e as Error).message));
    const r = tokenizerArrays(assets, { vocabSize: 100000 });
    assert.ok(r.supported);
    const retries = r.mphRetries[2]!;
    assert.ok(retries > 0);
    assert.equal(r.mphRetries.filter((_, i) => i !== 2), [0, 0, 0]);
    const entry = (r.metadata.get('mph') as PyDict).get('3') as PyDict;
    assert.equal([...entry.keys()], ['table_size', 'seeds', 'key_hashes', 'retries']);
    assert.is(entry.get('retries'), BigInt(retries));
    const size = Number(entry.get('table_size'));
    assert.ok(size > Math.ceil(1.23 * 100000));
    assert.is((entry.get('seeds') as unknown[]).length, size);
    // key_hashes: a permutation of the pieces' first64 hashes.
    const got = (entry.get('key_hashes') as bigint[]).slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const want = pieces.map((p) => first64(p)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.equal(got, want);
    assert.is(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /length 3: seed search exhausted/);
    // Other lengths keep the reference's shape exactly.
    assert.equal([...((r.metadata.get('mph') as PyDict).get('1') as PyDict).keys()], ['table_size', 'seeds', 'key_hashes']);
  });
});

test.run();
