import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadMph, mix64Wasm } from '../../src/kernels/mph.js';
import { buildMph } from '../../src/stages/mphf.js';
import { mix64 } from '../../src/numeric/splitmix64.js';

test.before(async () => { await loadMph(); });

test('reference test vectors', () => {
  const a = buildMph(new BigUint64Array([1n, 2n, 3n]));
  assert.equal([...a.seeds], [0, 0, 0, 0]);
  assert.equal([...a.ordered], [3n, 2n, 1n]);
  assert.equal([...a.lookup.entries()].sort((x, y) => Number(x[0] - y[0])), [[1n, 2], [2n, 1], [3n, 0]]);
  const b = buildMph(new BigUint64Array([0xdeadbeefn, 0xfeedfacen, 0x12345678n]));
  assert.equal([...b.seeds], [0, 7, 0, 0]);
  assert.equal([...b.ordered], [4277009102n, 3735928559n, 305419896n]);
});

test('wasm mix64 agrees with the TypeScript one', () => {
  assert.is(mix64Wasm(0n, 0n), 16294208416658607535n);
  assert.is(mix64Wasm(1n, 2n), 2092789425003139053n);
  assert.is(mix64Wasm(2n ** 64n - 1n, 5n), 7958955049054603978n);
  let x = 12345n;
  for (let i = 0; i < 200; i++) {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    assert.is(mix64Wasm(x, BigInt(i)), mix64(x, BigInt(i)));
  }
});

test('every key lands in its own slot', () => {
  const keys = new BigUint64Array(5000);
  for (let i = 0; i < keys.length; i++) keys[i] = (BigInt(i >> 7) << 32n) | BigInt(i);
  const m = buildMph(keys);
  assert.is(new Set(m.ordered).size, keys.length);
  for (const [key, slot] of m.lookup) assert.is(m.ordered[slot], key);
});

test.run();
