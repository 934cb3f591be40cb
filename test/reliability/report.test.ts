// Error reporting: every error class gives one line and a hint line with its
// exit code (2 usage, 1 conversion, 130/143 interrupt); --debug adds the
// system error and the stack; nothing else ever prints a stack.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reportError, reportErrorJson } from '../../src/cli/report.js';
import { InterruptedError, InterruptGuard, type SignalSource, type StopSignal } from '../../src/cli/signals.js';
import { ConfigError, FormatError, ModelError, NotFoundError, SafetensorsError, SeraError, StageError, TokenizerError, UsageError } from '../../src/errors.js';
import { toIoError } from '../../src/io/fs.js';
import { JsonParseError } from '../../src/format/json-parse.js';
import { stackLines } from './helpers.js';

function report(err: unknown, debug = false): { code: number; lines: string[] } {
  let text = '';
  const code = reportError(err, { write: (s: string) => { text += s; } }, debug);
  return { code, lines: text.split('\n').filter((l) => l.length) };
}

const CASES: [string, unknown, number][] = [
  ['UsageError', new UsageError('--r must be an integer, got x', "pass a whole number, e.g. '--r 64'"), 2],
  ['IoError', toIoError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' }), 'write', '/o/arrays/prf_W.bin'), 1],
  ['SafetensorsError', new SafetensorsError('/c/model.safetensors', 'header is not valid JSON', { tensor: 'w', hint: 'fetch it again' }), 1],
  ['ConfigError', new ConfigError("Model config field 'd_model' must be an integer, got 'x'", "fix 'd_model' in config.json"), 1],
  ['ModelError', new ModelError('no layer has an attention tensor', 'check the tensor names'), 1],
  ['TokenizerError', new TokenizerError('tokenizer.json: vocabulary is empty', 'fix the tokenizer'), 1],
  ['StageError', new StageError('overlay rank 0', 'raise --rv'), 1],
  ['FormatError', new FormatError('manifest truncated', '/o/sera_manifest.bin', 'run rebuild'), 1],
  ['NotFoundError', new NotFoundError('config.json not found under /c', 'check --source'), 1],
  ['SeraError', new SeraError('self-check failed', 'report it'), 1],
  ['InterruptedError SIGINT', new InterruptedError('SIGINT', 'collapse', '/o'), 130],
  ['InterruptedError SIGTERM', new InterruptedError('SIGTERM', 'commit'), 143],
  ['CACError', Object.assign(new Error('Unknown option `--frobnicate`'), { name: 'CACError' }), 2],
  ['TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'x')"), 1],
  ['JsonParseError (a bug if it escapes)', new JsonParseError('Expecting value', 'x', 0), 1],
];

test('each error class: one message line, one hint line, its exit code, no stack', () => {
  for (const [name, err, want] of CASES) {
    const { code, lines } = report(err);
    assert.is(code, want, name);
    assert.is(lines.length, 2, `${name}: ${JSON.stringify(lines)}`);
    assert.match(lines[0]!, /^sera-transfer: error: \S/, name);
    assert.match(lines[1]!, /^ {2}hint: \S/, name);
    assert.equal(stackLines(lines.join('\n')), [], name);
  }
});

test('--debug adds the system error and the stack', () => {
  for (const [name, err] of CASES) {
    const { lines } = report(err, true);
    assert.ok(lines.some((l) => /^ {2}\[debug\] at /.test(l)), `${name}: stack with --debug`);
  }
  const io = report(CASES[1]![1], true).lines;
  assert.ok(io.includes('  [debug] cause: ENOSPC: no space left on device, write [syscall write]'), io.join('\n'));
});

test('a message that quotes multi-line input stays on one line', () => {
  const { lines } = report(new ConfigError('bad value "a\nb"\r\n in config.json', 'fix it\nnow'));
  assert.equal(lines, ['sera-transfer: error: bad value "a b" in config.json', '  hint: fix it now']);
});

test('--log-format json: the same message, hint, debug lines and exit code as the text report', () => {
  for (const [name, err] of CASES) {
    for (const debug of [false, true]) {
      const text = report(err, debug);
      let out = '';
      const code = reportErrorJson(err, { write: (s: string) => { out += s; } }, debug);
      const obj = JSON.parse(out);
      assert.is(out.split('\n').length, 2, `${name}: one line`);
      assert.is(code, text.code, name);
      assert.is(obj.exit_code, code, name);
      assert.is(obj.level, 'ERROR');
      assert.is(`sera-transfer: error: ${obj.message}`, text.lines[0], name);
      assert.is(obj.hint === null ? undefined : `  hint: ${obj.hint}`, text.lines.find((l) => l.startsWith('  hint: ')), name);
      assert.equal(obj.stack ?? [], text.lines.filter((l) => l.startsWith('  [debug] ')).map((l) => l.slice(10)), name);
      assert.is(obj.error, err instanceof SeraError ? err.name : name === 'CACError' ? 'UsageError' : 'Error', name);
    }
  }
});

test('interrupt guard: records the first signal, throws at the next checkpoint, then lets go', async () => {
  const listeners = new Map<StopSignal, Set<() => void>>([['SIGINT', new Set()], ['SIGTERM', new Set()]]);
  const source: SignalSource = { on: (e, l) => listeners.get(e)!.add(l), off: (e, l) => listeners.get(e)!.delete(l) };
  const g = new InterruptGuard({ output: '/o', source });
  await g.checkpoint('prf'); // no signal: passes
  for (const l of listeners.get('SIGTERM')!) l();
  for (const l of listeners.get('SIGINT')!) l();
  assert.is(g.signal, 'SIGTERM');
  try {
    await g.checkpoint('collapse');
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, InterruptedError);
    assert.is((e as InterruptedError).exitCode, 143);
    assert.match((e as Error).message, "interrupted by SIGTERM before stage 'collapse'");
  }
  try {
    await g.checkpoint('mxfp4-shards', true); // between the tensors of a long stage
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, "interrupted by SIGTERM during stage 'mxfp4-shards'");
  }
  g.dispose();
  assert.is(listeners.get('SIGINT')!.size + listeners.get('SIGTERM')!.size, 0, 'listeners removed');
});

test('interrupt guard: the test pause waits for a signal (or its time limit)', async () => {
  const listeners = new Set<() => void>();
  const source: SignalSource = { on: (e, l) => { if (e === 'SIGINT') listeners.add(l); }, off: (_e, l) => listeners.delete(l) };
  let out = '';
  const g = new InterruptGuard({ pauseAt: 'memory', pauseMs: 5000, stderr: { write: (s: string) => { out += s; } }, source });
  const t0 = performance.now();
  setTimeout(() => { for (const l of listeners) l(); }, 50);
  await assert.not.throws(async () => g.checkpoint('prf'));
  try {
    await g.checkpoint('memory');
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, InterruptedError);
  }
  assert.ok(performance.now() - t0 < 2000, 'woken by the signal, not the time limit');
  assert.match(out, "test pause before stage 'memory'");
  g.dispose();
  const g2 = new InterruptGuard({ pauseAt: 'memory', pauseMs: 30, source });
  await g2.checkpoint('memory'); // no signal: continues after the limit
  g2.dispose();
});

test.run();
