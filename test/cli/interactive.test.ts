// --interactive: the reference's assistant (ALGORITHMS.md §1.4), fed through stdin.
// The transcript format below was checked byte for byte against the Python
// reference's run_interactive_cli with the same answers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir } from '../helpers/corpus.js';
import { runCli } from './run-cli.js';
import { tempDir } from './files.js';
import { runAssistant, CancelledError, type LineInput } from '../../src/cli/interactive.js';
import { pyPathStr } from '../../src/io/paths.js';

const caseDir = join(corpusDir(), 'cases', 'dense_f32');
const input = join(caseDir, 'input');

function script(lines: string[]): LineInput {
  let i = 0;
  return { next: async () => (i < lines.length ? lines[i++]! : null), close: () => undefined };
}

test('the dialogue: prompts, defaults, validation messages, summary, confirmation', async () => {
  let out = '';
  const a = await runAssistant(script(['/definitely/not/here', input, '', 'abc', '-3', '8', '4', ' 4 ', '', 'maybe', 'Y']),
    (s) => { out += s; }, { r: 64, rv: 8, topL: 8, cwd: '/work/here' });
  assert.equal(a, { source: input, output: `${input}-sera`, r: 8, rv: 4, topL: 4, originalSubdir: null });
  const expected = [
    'Sera Transfer Conversion Assistant\n',
    '====================================\n',
    'Press Ctrl+C at any time to abort.\n\n',
    'Checkpoint directory [/work/here]: Path /definitely/not/here does not exist. Please try again.\n',
    `Checkpoint directory [/work/here]: Output directory [${input}-sera]: `,
    'Rank parameter r [64]: Please enter an integer value.\n',
    'Rank parameter r [64]: Please provide a positive integer.\n',
    'Rank parameter r [64]: Value rank rv [8]: Top-L parameter [8]: Original subdirectory (optional): \n',
    'Configuration summary:\n',
    `Source : ${input}\n`,
    `Output : ${input}-sera\n`,
    'r / rv / topL : 8 / 4 / 4\n',
    'Original subdir: <auto>\n',
    "Proceed with conversion? (Y/n): Please answer 'y' or 'n'.\n",
    'Proceed with conversion? (Y/n): ',
  ].join('');
  assert.is(out, expected);
});

test('defaults from the flags; "no" cancels; end of input is an error', async () => {
  let out = '';
  const a = await runAssistant(script(['', 'out', '', '', '', 'sub', '']), (s) => { out += s; },
    { source: input, r: 512, rv: 12, topL: 12, originalSubdir: 'original', cwd: '/x' });
  assert.equal(a, { source: input, output: 'out', r: 512, rv: 12, topL: 12, originalSubdir: 'sub' });
  assert.ok(out.includes('Rank parameter r [512]: ') && out.includes('Original subdirectory (optional) [original]: '));
  await runAssistant(script([input, '', '', '', '', '', 'no']), () => undefined, { r: 64, rv: 8, topL: 8, cwd: '/x' })
    .then(() => assert.unreachable('a "no" must cancel'), (e) => { assert.instance(e, CancelledError); assert.is(e.exitCode, 130); });
  await runAssistant(script([input]), () => undefined, { r: 64, rv: 8, topL: 8, cwd: '/x' })
    .then(() => assert.unreachable('end of input must fail'), (e) => assert.match(e.message, /input ended/));
  const hub = await runAssistant(script(['hf:acme/tiny@v1', '', '', '', '', '', 'y']), () => undefined, { r: 64, rv: 8, topL: 8, cwd: '/w' });
  assert.is(hub.source, 'hf:acme/tiny@v1');
  assert.is(hub.output, '/w/tiny-sera');
});

test('str(Path(p)) normalisation', () => {
  assert.is(pyPathStr('a//b/./c/'), 'a/b/c');
  assert.is(pyPathStr(''), '.');
  assert.is(pyPathStr('./'), '.');
  assert.is(pyPathStr('/'), '/');
  assert.is(pyPathStr('//x'), '//x');
  assert.is(pyPathStr('../a/..'), '../a/..');
});

test('sera-transfer --interactive converts with the answers from stdin', async () => {
  const t = tempDir('interactive');
  try {
    const out = join(t.dir, 'pkg');
    const r = await runCli(['--interactive', '--summary-format', 'json'], { stdin: [input, out, '8', '4', '4', '', 'y', ''].join('\n') });
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('r / rv / topL : 8 / 4 / 4\n'));
    // the reference's assistant prints an empty line and the table summary whatever the summary flags say
    assert.match(r.stdout, /Proceed with conversion\? \(Y\/n\): \nSera Transfer Conversion Summary\n/);
    const want = readFileSync(join(caseDir, 'expected', 'out', 'sera_manifest.bin'));
    assert.ok(readFileSync(join(out, 'sera_manifest.bin')).equals(want), 'the same package as the flags would give');

    const out2 = join(t.dir, 'pkg2');
    const no = await runCli(['--interactive'], { stdin: [input, out2, '', '', '', '', 'n', ''].join('\n') });
    assert.is(no.code, 130);
    assert.match(no.stderr, /Conversion cancelled by user/);
    assert.not.ok(existsSync(out2));

    const eof = await runCli(['--interactive'], { stdin: `${input}\n` });
    assert.is(eof.code, 1);
    assert.match(eof.stderr, /input ended before the conversion assistant finished/);

    const prof = await runCli(['--interactive', '--profile', 'gpt-oss-20b', '--source', input], { stdin: '\n\n' });
    assert.is(prof.code, 1);
    assert.ok(prof.stdout.includes(`Checkpoint directory [${input}]: `));
    assert.ok(prof.stdout.includes('Rank parameter r [512]: '), 'the profile sets the defaults');
  } finally {
    t.cleanup();
  }
});

test.run();
