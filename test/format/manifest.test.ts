import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeManifest, encodeManifest, FIXED_BYTES } from '../../src/format/manifest.js';
import { toHexDigest as toHex } from '../../src/format/hash.js';
import { corpusCases } from '../helpers/corpus.js';

test('fixed part is 428 bytes', () => {
  assert.is(FIXED_BYTES, 428);
});

test('every corpus sera_manifest.bin round-trips byte for byte', () => {
  let n = 0;
  for (const c of corpusCases()) {
    const p = join(c.dir, 'expected/out/sera_manifest.bin');
    if (!existsSync(p)) continue;
    const bytes = new Uint8Array(readFileSync(p));
    const m = decodeManifest(bytes, p);
    assert.equal(encodeManifest(m), bytes, c.name);
    assert.is(m.sections.header!.magic, 0x5345524d);
    n++;
  }
  assert.ok(n >= 20, `only ${n} manifests found`);
});

test('constant digests match FORMAT.md', () => {
  const c = corpusCases().find((x) => existsSync(join(x.dir, 'expected/out/sera_manifest.bin')))!;
  const m = decodeManifest(new Uint8Array(readFileSync(join(c.dir, 'expected/out/sera_manifest.bin'))));
  assert.is(toHex(m.sections.header!.seed_digest as Uint8Array), '98fa42c9e401bf119f31d90a31ceb247');
  assert.is(toHex(m.sections.header!.schema_digest as Uint8Array), 'a37e923c1338685b6cdb1f13c8a7fbe7');
  assert.is(toHex(m.sections.hashes!.previous as Uint8Array), '84fd9bac333ad79154348296204fa7f8');
});

test('truncated and padded manifests are rejected with a clear error', () => {
  const c = corpusCases().find((x) => existsSync(join(x.dir, 'expected/out/sera_manifest.bin')))!;
  const bytes = new Uint8Array(readFileSync(join(c.dir, 'expected/out/sera_manifest.bin')));
  assert.throws(() => decodeManifest(bytes.subarray(0, 100), 'm.bin'), /shorter than/);
  assert.throws(() => decodeManifest(bytes.subarray(0, bytes.length - 3), 'm.bin'), /declares \d+ entries/);
  const longer = new Uint8Array(bytes.length + 1); longer.set(bytes);
  assert.throws(() => decodeManifest(longer, 'm.bin'), /declares/);
});

test.run();
