// --interactive: the reference's conversion assistant (ALGORITHMS.md §1.4).
// Prompts go to stdout as Python's input() writes them, answers are read line
// by line and stripped; the wording, defaults, validation messages and the
// confirmation step are the reference's. Extensions: a `hf:ORG/MODEL[@REV]`
// answer is accepted as the checkpoint (it is downloaded, not checked on disk),
// and end of input is a clean error instead of a traceback.
import { createInterface } from 'node:readline';
import { basename, dirname, join } from 'node:path';
import { exists } from '../io/fs.js';
import { expandUser, pyPathStr } from '../io/paths.js';
import { SeraError } from '../errors.js';
import { isHubSource } from '../hub/source.js';
import { pyInt } from './args.js';

/** "no" at the confirmation (the reference raises KeyboardInterrupt: exit 130). */
export class CancelledError extends SeraError {
  override readonly exitCode = 130;
}

/** A source of answer lines; null at end of input. */
export interface LineInput {
  next(): Promise<string | null>;
  close(): void;
}

export function lineReader(stream: NodeJS.ReadableStream): LineInput {
  const rl = createInterface({ input: stream, terminal: false, crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  return {
    async next() {
      const r = await it.next();
      return r.done ? null : r.value;
    },
    close() {
      rl.close();
    },
  };
}

export interface AssistantDefaults {
  source?: string;
  output?: string;
  r: number;
  rv: number;
  topL: number;
  originalSubdir?: string | null;
  /** The current directory (the default checkpoint folder). */
  cwd: string;
}

export interface AssistantAnswers {
  source: string;
  output: string;
  r: number;
  rv: number;
  topL: number;
  originalSubdir: string | null;
}

/** `source.parent / f"{source.name}-sera"`; for a Hub id, `<cwd>/<model>-sera`. */
function defaultOutput(source: string, cwd: string): string {
  if (isHubSource(source)) {
    const model = source.slice(3).split('@')[0]!.split('/').pop() || 'model';
    return pyPathStr(join(cwd, `${model}-sera`));
  }
  const s = pyPathStr(source);
  const parent = s.includes('/') ? pyPathStr(dirname(s)) : '.';
  const name = s === '.' || s === '/' ? '' : basename(s);
  return parent === '.' ? `${name}-sera` : pyPathStr(`${parent}/${name}-sera`);
}

/**
 * Runs the dialogue. `write` receives everything the reference prints (prompts
 * included). Throws CancelledError when the user declines, SeraError at end of input.
 */
export async function runAssistant(input: LineInput, write: (s: string) => void, d: AssistantDefaults): Promise<AssistantAnswers> {
  const display = (m = '') => write(m + '\n');
  const ask = async (prompt: string): Promise<string> => {
    write(prompt);
    const line = await input.next();
    if (line === null) {
      write('\n');
      throw new SeraError('input ended before the conversion assistant finished', 'answer every prompt, or pass --source and --output instead of --interactive');
    }
    return line.trim();
  };
  const askPath = async (prompt: string, def: string | null, mustExist: boolean): Promise<string> => {
    for (;;) {
      const suffix = def !== null ? ` [${def}]` : '';
      const res = await ask(`${prompt}${suffix}: `);
      let path: string;
      if (!res) {
        if (def === null) {
          display('Please provide a path.');
          continue;
        }
        path = def;
      } else {
        path = isHubSource(res) ? res : pyPathStr(res);
      }
      if (isHubSource(path)) return path;
      path = expandUser(path);
      if (mustExist && !exists(path)) {
        display(`Path ${path} does not exist. Please try again.`);
        continue;
      }
      return path;
    }
  };
  const askInt = async (prompt: string, def: number): Promise<number> => {
    for (;;) {
      const res = await ask(`${prompt} [${def}]: `);
      if (!res) return def;
      const v = pyInt(res);
      if (v === null) {
        display('Please enter an integer value.');
        continue;
      }
      if (v <= 0) {
        display('Please provide a positive integer.');
        continue;
      }
      return v;
    }
  };
  const askOptional = async (prompt: string, def: string | null): Promise<string | null> => {
    const suffix = def ? ` [${def}]` : '';
    const res = await ask(`${prompt}${suffix}: `);
    return res ? res : def;
  };
  const confirm = async (prompt: string, def = true): Promise<boolean> => {
    const choice = def ? 'Y/n' : 'y/N';
    for (;;) {
      const res = (await ask(`${prompt} (${choice}): `)).toLowerCase();
      if (!res) return def;
      if (res === 'y' || res === 'yes') return true;
      if (res === 'n' || res === 'no') return false;
      display("Please answer 'y' or 'n'.");
    }
  };

  display('Sera Transfer Conversion Assistant');
  display('='.repeat(36));
  display('Press Ctrl+C at any time to abort.\n');

  const sourceDefault = d.source !== undefined ? (isHubSource(d.source) ? d.source : pyPathStr(d.source)) : d.cwd;
  const source = await askPath('Checkpoint directory', sourceDefault, true);
  const outputDefault = d.output !== undefined ? pyPathStr(d.output) : defaultOutput(source, d.cwd);
  const output = await askPath('Output directory', outputDefault, false);
  const r = await askInt('Rank parameter r', d.r);
  const rv = await askInt('Value rank rv', d.rv);
  const topL = await askInt('Top-L parameter', d.topL);
  const originalSubdir = await askOptional('Original subdirectory (optional)',
    d.originalSubdir !== undefined && d.originalSubdir !== null ? d.originalSubdir : null);

  display('\nConfiguration summary:');
  display([
    `Source : ${source}`,
    `Output : ${output}`,
    `r / rv / topL : ${r} / ${rv} / ${topL}`,
    `Original subdir: ${originalSubdir || '<auto>'}`,
  ].join('\n'));
  if (!(await confirm('Proceed with conversion?', true))) {
    throw new CancelledError('Conversion cancelled by user', 'nothing was written');
  }
  return { source, output, r, rv, topL, originalSubdir };
}
