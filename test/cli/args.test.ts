// The argparse-compatible flag helpers: Python int() parsing, choices with
// argparse's message, and "the last occurrence wins" for repeated flags.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONVERT_FLAGS, CONVERT_OPTIONS, choiceFlag, lastValue, parseIntFlag, pyInt, reportFlags, validateBackendFlags } from '../../src/cli/args.js';
import { UsageError } from '../../src/errors.js';
import { runCli } from './run-cli.js';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UsageError);
    return (e as Error).message;
  }
  return assert.unreachable('expected a UsageError') as never;
}

test('pyInt: what Python int() accepts', () => {
  for (const [s, n] of [['12', 12], [' +7 ', 7], ['-3', -3], ['1_000', 1000], ['007', 7]] as const) assert.is(pyInt(s), n, s);
  for (const s of ['', '1.5', '1__0', '_1', '1_', '0x10', '1 2', 'two']) assert.is(pyInt(s), null, s);
});

test('repeated flags: the last occurrence wins', () => {
  assert.is(lastValue(['a', 'b']), 'b');
  assert.is(lastValue('a'), 'a');
  assert.is(parseIntFlag('r', ['8', '16']), 16);
  assert.is(choiceFlag('summary-format', ['table', 'json'], ['table', 'json'] as const), 'json');
  assert.equal(validateBackendFlags({ backend: undefined, cpuAffinity: ['x', '3,1,3'], assumeFtz: false, assumeFma: false }), [1, 3]);
});

test("choices and ints fail with argparse's messages", () => {
  assert.is(choiceFlag('log-format', undefined, ['text', 'json'] as const), undefined);
  assert.is(usage(() => choiceFlag('log-format', 'xml', ['text', 'json'] as const)), "argument --log-format: invalid choice: 'xml' (choose from 'text', 'json')");
  assert.is(usage(() => validateBackendFlags({ backend: 'gpu', cpuAffinity: undefined, assumeFtz: false, assumeFma: false })),
    "argument --mxfp4-backend: invalid choice: 'gpu' (choose from 'python', 'numpy', 'torch')");
  assert.is(usage(() => parseIntFlag('topL', 'x')), "argument --topL: invalid int value: 'x'");
  assert.is(usage(() => validateBackendFlags({ backend: 'python', cpuAffinity: '0,a', assumeFtz: false, assumeFma: false })),
    "--cpu-affinity is invalid: invalid literal for int() with base 10: 'a'");
});

test('--mxfp4-backend reaches the backend rules (the last value wins)', async () => {
  const base = ['--source', '/nonexistent/ckpt', '--output', '/nonexistent/out'];
  const torch = await runCli([...base, '--mxfp4-backend', 'torch']);
  assert.is(torch.code, 2);
  assert.match(torch.stderr, /--torch-threads=1 is required when using --mxfp4-backend=torch/);
  const gpu = await runCli([...base, '--mxfp4-b', 'python', '--mxfp4-backend=gpu']);
  assert.is(gpu.code, 2);
  assert.match(gpu.stderr, /argument --mxfp4-backend: invalid choice: 'gpu'/);
});

test('the command line checks --quantize-experts before anything runs', async () => {
  const base = ['--source', '/nonexistent/ckpt', '--output', '/nonexistent/out'];
  const quant = await runCli([...base, '--quantize-experts', 'bf16', '--dry-run']);
  assert.is(quant.code, 2, 'checked before a dry run, too');
  assert.match(quant.stderr, /argument --quantize-experts: invalid choice: 'bf16' \(choose from 'mxfp4'\)/);
});

test('--debug and --log-format for the error report: abbreviations count, nothing after --, the last value wins', async () => {
  const flags = (argv: string[]) => reportFlags(argv, CONVERT_FLAGS);
  assert.equal(flags(['--deb']), { debug: true, jsonLogs: false });
  assert.equal(flags(['--s', 'x', '--debug']), { debug: true, jsonLogs: false }, 'an ambiguous prefix does not hide them');
  assert.equal(flags(['--', '--debug', '--log-format=json']), { debug: false, jsonLogs: false });
  assert.equal(flags(['--log-f', 'json', '--log-format', 'text']), { debug: false, jsonLogs: false });
  assert.equal(flags(['--log-format', 'text', '--log-f=json']), { debug: false, jsonLogs: true });
  const r = await runCli(['--source', '/nonexistent/ckpt', '--output', '/nonexistent/out', '--summary-format', 'xml', '--deb']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^ {2}\[debug\] at /m, 'an abbreviated --debug shows the stack');
});

test('CONVERT_FLAGS is derived from the declared options: every flag, and which ones take a value', () => {
  assert.is(Object.keys(CONVERT_FLAGS).length, CONVERT_OPTIONS.length + 3);
  for (const [name, takes] of [['source', true], ['topL', true], ['log-format', true], ['cache-dir', true], ['dry-run', false],
    ['no-summary', false], ['mxfp4-shards', false], ['no-mxfp4-shards', false], ['help', false], ['version', false]] as const) {
    assert.is(CONVERT_FLAGS[name], takes, name);
  }
});

test.run();
