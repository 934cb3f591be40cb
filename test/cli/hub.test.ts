// --source hf:ORG/MODEL against a mock Hub on 127.0.0.1: end-to-end conversion,
// resumed downloads (dropped connection, partial file from an earlier run),
// sharded repositories, and clean failures (401, 404, checksum) with no package.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { corpusDir } from '../helpers/corpus.js';
import { buildSt, type TensorSpec } from '../io/st-build.js';
import { startMockHub, type MockRepo } from './mock-hub.js';
import { runCli } from './run-cli.js';
import { readTree, tempDir } from './files.js';

const caseDir = join(corpusDir(), 'cases', 'dense_f32');
const ARGS = ['--r', '8', '--rv', '4', '--topL', '4'];

function filesOf(dir: string, prefix = ''): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, filesOf(p, `${prefix}${e.name}/`));
    else out[`${prefix}${e.name}`] = new Uint8Array(readFileSync(p));
  }
  return out;
}

const tiny = (): MockRepo => ({ files: filesOf(join(caseDir, 'input')) });

/** arrays/*.bin and sera_manifest.bin of a package equal the reference's expected output. */
function assertMatchesExpected(out: string): void {
  const want = readTree(join(caseDir, 'expected', 'out'));
  const got = readTree(out);
  let compared = 0;
  for (const [p, bytes] of want) {
    if (!(p.startsWith('arrays/') || p === 'sera_manifest.bin')) continue;
    assert.ok(got.has(p), `${p} is missing`);
    assert.ok(Buffer.from(got.get(p)!).equals(Buffer.from(bytes)), `${p} differs from the reference`);
    compared++;
  }
  assert.ok(compared > 20, `compared ${compared} files`);
}

function hubEnv(url: string, token?: string): Record<string, string | undefined> {
  return { HF_ENDPOINT: url, HF_TOKEN: token, HUGGING_FACE_HUB_TOKEN: undefined, SERA_TRANSFER_CACHE: undefined };
}

test('hf: source converts end to end; a second run is served from the cache', async () => {
  const hub = await startMockHub({ 'acme/tiny': tiny() });
  const t = tempDir('hub-e2e');
  try {
    const out = join(t.dir, 'out');
    const cache = join(t.dir, 'cache');
    const r = await runCli(['--source', 'hf:acme/tiny', '--output', out, ...ARGS, '--cache-dir', cache, '--summary-format', 'json'], { env: hubEnv(hub.url) });
    assert.is(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout); // stdout holds nothing but the summary
    assert.ok(summary.source.includes(join('models--acme--tiny', 'snapshots')));
    assertMatchesExpected(out);
    const snap = readdirSync(join(cache, 'models--acme--tiny', 'snapshots'));
    assert.equal(snap.length, 1);
    assert.equal(readdirSync(join(cache, 'models--acme--tiny', 'snapshots', snap[0]!)).sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
    assert.ok(hub.requests.some((q) => q.url.startsWith('/api/models/acme/tiny/tree/')), 'the tree listing was used');

    const before = hub.requests.length;
    const out2 = join(t.dir, 'out2');
    const r2 = await runCli(['--source', 'hf:acme/tiny', '--output', out2, ...ARGS, '--cache-dir', cache, '--quiet'], { env: hubEnv(hub.url) });
    assert.is(r2.code, 0, r2.stderr);
    const again = hub.requests.slice(before);
    assert.not.ok(again.some((q) => q.url.includes('/resolve/')), 'cached files are not downloaded again');
    assertMatchesExpected(out2);
  } finally {
    t.cleanup();
    await hub.close();
  }
});

test('a connection dropped mid-file is resumed with a Range request', async () => {
  const hub = await startMockHub({ 'acme/tiny': tiny() });
  const t = tempDir('hub-drop');
  try {
    hub.faults.push({ path: 'model.safetensors', dropAfter: 3000 });
    const out = join(t.dir, 'out');
    const r = await runCli(['--source', 'hf:acme/tiny', '--output', out, ...ARGS, '--cache-dir', join(t.dir, 'cache')], { env: hubEnv(hub.url) });
    assert.is(r.code, 0, r.stderr);
    const ranges = hub.requests.filter((q) => q.url.endsWith('/model.safetensors') && q.range !== 'bytes=0-0').map((q) => q.range);
    assert.equal(ranges[0], null, 'the first attempt asks for the whole file');
    assert.ok(ranges.some((x) => x !== null && /^bytes=(\d+)-/.exec(x) !== null && Number(/^bytes=(\d+)-/.exec(x)![1]) >= 3000),
      `a later attempt resumes at the bytes already on disk: ${JSON.stringify(ranges)}`);
    assert.match(r.stderr, /model\.safetensors: .*resuming at/);
    assertMatchesExpected(out);
  } finally {
    t.cleanup();
    await hub.close();
  }
});

test('a partial file left by an earlier run is resumed, not restarted', async () => {
  const repo = tiny();
  const hub = await startMockHub({ 'acme/tiny': repo });
  const t = tempDir('hub-partial');
  try {
    const cache = join(t.dir, 'cache');
    const sha = createHash('sha1').update('acme/tiny').digest('hex'); // the mock's commit id
    const data = repo.files['model.safetensors']!;
    const etag16 = createHash('sha256').update(data).digest('hex').slice(0, 16);
    const snap = join(cache, 'models--acme--tiny', 'snapshots', sha);
    mkdirSync(snap, { recursive: true });
    writeFileSync(join(snap, `model.safetensors.${etag16}.incomplete`), data.subarray(0, 1234));
    const out = join(t.dir, 'out');
    const r = await runCli(['--source', 'hf:acme/tiny', '--output', out, ...ARGS, '--cache-dir', cache], { env: hubEnv(hub.url) });
    assert.is(r.code, 0, r.stderr);
    const ranges = hub.requests.filter((q) => q.url.endsWith('/model.safetensors') && q.range !== 'bytes=0-0').map((q) => q.range);
    assert.equal(ranges, [`bytes=1234-${data.length - 1}`]);
    assert.not.ok(existsSync(join(snap, `model.safetensors.${etag16}.incomplete`)));
    assertMatchesExpected(out);
  } finally {
    t.cleanup();
    await hub.close();
  }
});

test('a download lock held by a live process is refused; a stale one is taken over', async () => {
  const hub = await startMockHub({ 'acme/tiny': tiny() });
  const t = tempDir('hub-lock');
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  try {
    const cache = join(t.dir, 'cache');
    const sha = createHash('sha1').update('acme/tiny').digest('hex'); // the mock's commit id
    const snap = join(cache, 'models--acme--tiny', 'snapshots', sha);
    const lock = join(snap, 'model.safetensors.lock');
    mkdirSync(snap, { recursive: true });
    writeFileSync(lock, `${child.pid}\n`);
    const out = join(t.dir, 'out');
    const busy = await runCli(['--source', 'hf:acme/tiny', '--output', out, ...ARGS, '--cache-dir', cache], { env: hubEnv(hub.url) });
    assert.is(busy.code, 1, busy.stderr);
    assert.match(busy.stderr, new RegExp(`another sera-transfer \\(pid ${child.pid}\\) is downloading .*model\\.safetensors`));
    assert.ok(existsSync(lock), 'a live process keeps its lock');
    assert.not.ok(existsSync(out));

    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const r = await runCli(['--source', 'hf:acme/tiny', '--output', out, ...ARGS, '--cache-dir', cache], { env: hubEnv(hub.url) });
    assert.is(r.code, 0, r.stderr);
    assert.not.ok(existsSync(lock), 'the stale lock was taken over and released');
    assertMatchesExpected(out);
  } finally {
    child.kill('SIGKILL');
    t.cleanup();
    await hub.close();
  }
});

test('private repositories: 401 without a token fails cleanly; HF_TOKEN is sent', async () => {
  const hub = await startMockHub({ 'acme/secret': { ...tiny(), private: true } }, { token: 'hf_right' });
  const t = tempDir('hub-401');
  try {
    const out = join(t.dir, 'out');
    const args = ['--source', 'hf:acme/secret', '--output', out, ...ARGS, '--cache-dir', join(t.dir, 'cache')];
    const r = await runCli(args, { env: hubEnv(hub.url) });
    assert.is(r.code, 1);
    assert.match(r.stderr, /sera-transfer: error: .*acme\/secret.*401/);
    assert.match(r.stderr, /hint: set HF_TOKEN/);
    assert.not.match(r.stderr, /\n\s+at /);
    assert.not.ok(existsSync(out), 'no package, not even an empty folder');

    const wrong = await runCli(args, { env: hubEnv(hub.url, 'hf_wrong') });
    assert.is(wrong.code, 1);
    assert.match(wrong.stderr, /401/);
    assert.match(wrong.stderr, /not accepted/);
    assert.not.ok(existsSync(out));

    const ok = await runCli(args, { env: hubEnv(hub.url, 'hf_right') });
    assert.is(ok.code, 0, ok.stderr);
    assert.ok(hub.requests.filter((q) => q.url.includes('/resolve/')).every((q) => q.auth === 'Bearer hf_right'));
    assertMatchesExpected(out);
  } finally {
    t.cleanup();
    await hub.close();
  }
});

test('404: unknown repository, revision or file fails with exit 1 and no package', async () => {
  const hub = await startMockHub({ 'acme/tiny': tiny(), 'acme/noweights': { files: { 'config.json': new TextEncoder().encode('{}') } } });
  const t = tempDir('hub-404');
  try {
    for (const [src, pattern] of [
      ['hf:acme/nothing', /acme\/nothing.*404/],
      ['hf:acme/tiny@v9', /acme\/tiny@v9.*404/],
      ['hf:acme/noweights', /no model\.safetensors/],
    ] as const) {
      const out = join(t.dir, 'out');
      const r = await runCli(['--source', src, '--output', out, ...ARGS, '--cache-dir', join(t.dir, 'cache')], { env: hubEnv(hub.url) });
      assert.is(r.code, 1, `${src}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.not.ok(existsSync(out), `${src}: no package`);
    }
    const bad = await runCli(['--source', 'hf:not a repo', '--output', join(t.dir, 'o')], { env: hubEnv(hub.url) });
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /not a Hugging Face model id/);
  } finally {
    t.cleanup();
    await hub.close();
  }
});

test('corrupted bytes fail the checksum: exit 1, partial deleted, no package', async () => {
  const hub = await startMockHub({ 'acme/tiny': tiny() });
  const t = tempDir('hub-corrupt');
  try {
    hub.faults.push({ path: 'model.safetensors', corruptAt: 200, times: 100 });
    const out = join(t.dir, 'out');
    const cache = join(t.dir, 'cache');
    const r = await runCli(['--source', 'hf:acme/tiny', '--output', out, ...ARGS, '--cache-dir', cache], { env: hubEnv(hub.url) });
    assert.is(r.code, 1);
    assert.match(r.stderr, /checksum/);
    assert.not.ok(existsSync(out));
    const snap = join(cache, 'models--acme--tiny', 'snapshots');
    const left = readdirSync(join(snap, readdirSync(snap)[0]!));
    assert.not.ok(left.some((n) => n.startsWith('model.safetensors')), `left behind: ${left.join(', ')}`);
  } finally {
    t.cleanup();
    await hub.close();
  }
});

test('--dry-run on a Hub id fetches only config, tokenizer and safetensors headers', async () => {
  const repo = tiny();
  const hub = await startMockHub({ 'acme/tiny': repo });
  const t = tempDir('hub-dry');
  try {
    const out = join(t.dir, 'out');
    const cache = join(t.dir, 'cache');
    const r = await runCli(['--source', 'hf:acme/tiny', '--output', out, ...ARGS, '--cache-dir', cache, '--dry-run', '--summary-format', 'json'], { env: hubEnv(hub.url) });
    assert.is(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.match(plan.source, /^hf:acme\/tiny@[0-9a-f]{40}$/);
    assert.is(plan.tensor_bytes_read, 0);
    assert.not.ok(existsSync(out));
    const weights = hub.requests.filter((q) => q.url.endsWith('/model.safetensors'));
    assert.ok(weights.length > 0 && weights.every((q) => q.range !== null && /^bytes=0-\d+$/.test(q.range)), JSON.stringify(weights));
    const biggest = Math.max(...weights.map((q) => Number(/-(\d+)$/.exec(q.range!)![1])));
    assert.ok(biggest < repo.files['model.safetensors']!.length / 2, 'only the header bytes were requested');
    const snap = join(cache, 'models--acme--tiny', 'snapshots');
    const cached = readdirSync(join(snap, readdirSync(snap)[0]!));
    assert.equal(cached.sort(), ['config.json', 'tokenizer.json'], 'no stand-in weights in the cache');
    const local = await runCli(['--source', join(caseDir, 'input'), '--output', out, ...ARGS, '--dry-run', '--summary-format', 'json']);
    const want = JSON.parse(local.stdout);
    assert.equal(plan.arrays, want.arrays);
    assert.ok(Math.abs(plan.estimated_output_bytes - want.estimated_output_bytes) / want.estimated_output_bytes < 0.01);
  } finally {
    t.cleanup();
    await hub.close();
  }
});

/** dense_f32's tensors split over two shards with an index (weight_map in header order). */
function shardedRepo(): MockRepo {
  const src = readFileSync(join(caseDir, 'input', 'model.safetensors'));
  const n = Number(src.readBigUInt64LE(0));
  const header = JSON.parse(src.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const tensor = (k: string) => ({ dtype: header[k]!.dtype, shape: header[k]!.shape, data: new Uint8Array(src.subarray(8 + n + header[k]!.data_offsets[0], 8 + n + header[k]!.data_offsets[1])) });
  const half = Math.ceil(names.length / 2);
  const shards = [names.slice(0, half), names.slice(half)];
  const files: Record<string, Uint8Array> = {};
  const weightMap: Record<string, string> = {};
  shards.forEach((group, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    files[file] = buildSt(group.map((k): [string, TensorSpec] => [k, tensor(k)]));
    for (const k of group) weightMap[k] = file;
  });
  const orig = filesOf(join(caseDir, 'input'));
  files['config.json'] = orig['config.json']!;
  files['tokenizer.json'] = orig['tokenizer.json']!;
  files['model.safetensors.index.json'] = new TextEncoder().encode(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  files['README.md'] = new TextEncoder().encode('# not needed\n');
  files['pytorch_model.bin'] = new Uint8Array(4096);
  return { files };
}

test('sharded repositories: the index and its shards are fetched, nothing else', async () => {
  const hub = await startMockHub({ 'acme/sharded': shardedRepo() });
  const t = tempDir('hub-shards');
  try {
    const out = join(t.dir, 'out');
    const cache = join(t.dir, 'cache');
    const r = await runCli(['--source', 'hf:acme/sharded@main', '--output', out, ...ARGS, '--cache-dir', cache], { env: hubEnv(hub.url) });
    assert.is(r.code, 0, r.stderr);
    const fetched = [...new Set(hub.requests.filter((q) => q.url.includes('/resolve/')).map((q) => q.url.split('/').pop()))].sort();
    assert.equal(fetched, ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json']);
    assertMatchesExpected(out);
  } finally {
    t.cleanup();
    await hub.close();
  }
});

test.run();
