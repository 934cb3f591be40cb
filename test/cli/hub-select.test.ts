// Which Hub files a conversion needs (the converter's discovery over the remote
// listing), `hf:` ids, and the cache folder rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectFiles, shardsOfIndex, type RemoteFile } from '../../src/hub/select.js';
import { parseHubSource, cacheRoot, hubEndpoint, repoFolder } from '../../src/hub/source.js';
import { HubError } from '../../src/hub/errors.js';
import { UsageError } from '../../src/errors.js';

function listing(paths: string[]): Map<string, RemoteFile> {
  return new Map(paths.map((p) => [p, { path: p, size: 1, etag: 'e', kind: 'git' as const }]));
}

test('gpt-oss repositories: root config, original/model.safetensors, root tokenizer (one copy of the weights)', () => {
  const files = listing([
    'config.json', 'generation_config.json', 'model.safetensors.index.json', 'model-00000-of-00002.safetensors',
    'model-00001-of-00002.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja',
    'original/config.json', 'original/dtypes.json', 'original/model.safetensors', 'metal/model.bin',
  ]);
  const s = selectFiles(files, null, 'model openai/gpt-oss-20b');
  assert.equal(s, { config: 'config.json', weights: 'original/model.safetensors', isIndex: false, tokenizers: ['tokenizer.json'] });
});

test('plain and sharded layouts, --original-subdir, missing files', () => {
  assert.equal(selectFiles(listing(['config.json', 'model.safetensors', 'tokenizer.model']), null, 'm'),
    { config: 'config.json', weights: 'model.safetensors', isIndex: false, tokenizers: ['tokenizer.model'] });
  assert.equal(selectFiles(listing(['config.json', 'model.safetensors.index.json', 'a-00001-of-00001.safetensors']), null, 'm'),
    { config: 'config.json', weights: 'model.safetensors.index.json', isIndex: true, tokenizers: [] });
  assert.equal(selectFiles(listing(['export/w/config.json', 'export/w/model.safetensors', 'tokenizer.json']), 'export/w', 'm'),
    { config: 'export/w/config.json', weights: 'export/w/model.safetensors', isIndex: false, tokenizers: ['tokenizer.json'] });
  assert.equal(selectFiles(listing(['original/model/config.json', 'original/model/model.safetensors']), null, 'm').weights,
    'original/model/model.safetensors');
  assert.throws(() => selectFiles(listing(['model.safetensors']), null, 'model x/y'), (e: unknown) => e instanceof HubError && /no config\.json/.test((e as Error).message));
  assert.throws(() => selectFiles(listing(['config.json', 'pytorch_model.bin']), null, 'model x/y'), (e: unknown) => e instanceof HubError && /no model\.safetensors/.test((e as Error).message));
  assert.throws(() => selectFiles(listing(['config.json']), '../elsewhere', 'm'), (e: unknown) => e instanceof HubError);
});

test('shard indexes: shards relative to the index, unsafe names refused, missing shards named', () => {
  const files = listing(['sub/model.safetensors.index.json', 'sub/a.safetensors', 'sub/b.safetensors']);
  assert.equal(shardsOfIndex('sub/model.safetensors.index.json', JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'b.safetensors', z: 'a.safetensors' } }), files, 'm'),
    ['sub/a.safetensors', 'sub/b.safetensors']);
  assert.throws(() => shardsOfIndex('i.json', JSON.stringify({ weight_map: { x: '../../etc/passwd.safetensors' } }), files, 'm'), /refused/);
  assert.throws(() => shardsOfIndex('i.json', JSON.stringify({ weight_map: { x: 'https://evil/x.safetensors' } }), files, 'm'), /refused/);
  assert.throws(() => shardsOfIndex('sub/i.json', JSON.stringify({ weight_map: { x: 'c.safetensors' } }), files, 'm'), /sub\/c\.safetensors/);
  assert.throws(() => shardsOfIndex('i.json', '{', files, 'm'), /not valid JSON/);
});

test('hf: ids, endpoint and cache folder', () => {
  assert.equal(parseHubSource('hf:openai/gpt-oss-20b'), { repo: 'openai/gpt-oss-20b', revision: 'main' });
  assert.equal(parseHubSource('hf:openai/gpt-oss-20b@refs/pr/3'), { repo: 'openai/gpt-oss-20b', revision: 'refs/pr/3' });
  assert.equal(parseHubSource('hf:gpt2'), { repo: 'gpt2', revision: 'main' });
  for (const bad of ['hf:', 'hf:a/b/c', 'hf:../x', 'hf:a b', 'hf:org/model@']) {
    assert.throws(() => parseHubSource(bad), (e: unknown) => e instanceof UsageError, bad);
  }
  assert.is(hubEndpoint({}), 'https://huggingface.co');
  assert.is(hubEndpoint({ HF_ENDPOINT: 'http://mirror.local:8080/' }), 'http://mirror.local:8080');
  assert.is(cacheRoot('/c', { SERA_TRANSFER_CACHE: '/s' }), '/c');
  assert.is(cacheRoot(undefined, { SERA_TRANSFER_CACHE: '/s', XDG_CACHE_HOME: '/x' }), '/s');
  assert.is(cacheRoot(undefined, { XDG_CACHE_HOME: '/x' }), '/x/sera-transfer/hub');
  assert.is(cacheRoot(undefined, { HOME: '/home/u' }), '/home/u/.cache/sera-transfer/hub');
  assert.is(repoFolder('openai/gpt-oss-20b'), 'models--openai--gpt-oss-20b');
});

test.run();
