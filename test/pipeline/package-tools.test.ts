// verify and rebuild on real packages: a flipped payload byte or a changed
// manifest digest is reported by file and field; rebuild is a no-op on an
// untouched package and repairs the manifest after an array is replaced.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { corpusCases } from '../helpers/corpus.js';
import { CLI as cli } from '../helpers/shared.js';
import { verifyPackage, rebuildPackage } from '../../src/index.js';
import { checkArrayFile, writeArrayFile } from '../../src/format/array-file.js';

let root = '';
test.before(() => { root = mkdtempSync(join(tmpdir(), 'sera-tools-')); });
test.after(() => { rmSync(root, { recursive: true, force: true }); });

const expectedOuts = () => corpusCases().filter((c) => c.expect === 'identical').map((c) => ({ name: c.name, dir: join(c.dir, 'expected/out') }));

test('verify passes on every expected output of the corpus', async () => {
  const outs = expectedOuts();
  assert.ok(outs.length >= 20);
  for (const o of outs) assert.equal(await verifyPackage(o.dir), [], o.name);
});

test('verify (CLI) reports a flipped payload byte and a changed manifest digest, exit 1', () => {
  const src = expectedOuts()[0]!.dir;
  const a = join(root, 'flip');
  cpSync(src, a, { recursive: true });
  const f = join(a, 'arrays', 'prf_W.bin');
  const bytes = readFileSync(f);
  bytes[200] ^= 0x01;
  writeFileSync(f, bytes);
  let r = spawnSync(process.execPath, [cli, 'verify', a], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stdout, /arrays\/prf_W\.bin: crc32c/);
  assert.match(r.stdout, /arrays\/prf_W\.bin: sha256_low64/);

  const b = join(root, 'digest');
  cpSync(src, b, { recursive: true });
  const m = readFileSync(join(b, 'sera_manifest.bin'));
  m[432 + 12] ^= 0xff; // first entry's digest
  writeFileSync(join(b, 'sera_manifest.bin'), m);
  r = spawnSync(process.execPath, [cli, 'verify', b], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stdout, /sera_manifest\.bin: arrays\[0\]/);
  r = spawnSync(process.execPath, [cli, 'verify', src], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test('rebuild reproduces an untouched package byte for byte', async () => {
  for (const o of expectedOuts().slice(0, 6)) {
    const d = join(root, `rb-${o.name}`);
    cpSync(o.dir, d, { recursive: true });
    const res = await rebuildPackage(d);
    assert.is(res.changed, false, o.name);
    assert.ok(readFileSync(join(d, 'sera_manifest.bin')).equals(readFileSync(join(o.dir, 'sera_manifest.bin'))), o.name);
    assert.ok(readFileSync(join(d, 'sera_state.json')).equals(readFileSync(join(o.dir, 'sera_state.json'))), o.name);
  }
});

test('rebuild after an array is replaced writes a manifest that verify accepts', async () => {
  const o = expectedOuts()[0]!;
  const d = join(root, 'replaced');
  cpSync(o.dir, d, { recursive: true });
  const c = checkArrayFile(join(d, 'arrays', 'linear_weights.bin'));
  const payload = new Float32Array(c.shape[0]!).fill(0.25);
  writeArrayFile('linear_weights', join(d, 'arrays', 'linear_weights.bin'), 'f32', c.shape, new Uint8Array(payload.buffer));
  assert.ok((await verifyPackage(d)).length > 0);
  const res = await rebuildPackage(d);
  assert.ok(res.changed);
  assert.equal(await verifyPackage(d), []);
});

test.run();
