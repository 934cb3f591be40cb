import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseByteSize, planShards, shardFileName, shardIndexText } from '../../src/synth/sharding.js';

test('planShards: greedy in order, a tensor over the limit gets a shard of its own first', () => {
  assert.equal(planShards([4, 4, 4, 4], 8), [[0, 1], [2, 3]]);
  assert.equal(planShards([4, 5, 4], 8), [[0], [1], [2]]);
  // huggingface_hub appends the oversized tensor's shard before the one being filled
  assert.equal(planShards([2, 20, 3, 3], 8), [[1], [0, 2, 3]]);
  assert.equal(planShards([], 8), []);
});

test('shard file names and the index text', () => {
  assert.is(shardFileName(1, 3), 'model-00001-of-00003.safetensors');
  const text = shardIndexText(123, [['b.w', shardFileName(1, 2)], ['a.w', shardFileName(2, 2)]]);
  assert.is(text, '{\n  "metadata": {\n    "total_size": 123\n  },\n  "weight_map": {\n'
    + '    "a.w": "model-00002-of-00002.safetensors",\n    "b.w": "model-00001-of-00002.safetensors"\n  }\n}\n');
});

test('parseByteSize', () => {
  assert.is(parseByteSize('5GB'), 5e9);
  assert.is(parseByteSize('512MiB'), 512 * 2 ** 20);
  assert.is(parseByteSize('1000'), 1000);
  assert.is(parseByteSize(' 1.5 kb '), 1500);
  assert.is(parseByteSize('0'), null);
  assert.is(parseByteSize('5 parsecs'), null);
});

test.run();
