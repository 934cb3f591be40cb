// Paths the way the reference's pathlib spells them.
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { realpath } from './fs.js';

/** str(Path(p)) of a POSIX path: repeated and trailing slashes and '.' parts dropped. */
export function pyPathStr(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const lead = abs && p.startsWith('//') && !p.startsWith('///') ? '//' : abs ? '/' : '';
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  const s = lead + parts.join('/');
  return s === '' ? '.' : s;
}

/** Path.expanduser() for `~` and `~/...` (the only forms the reference's users type). */
export function expandUser(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return pyPathStr(join(homedir(), p.slice(2)));
  return p;
}

/** `Path(p).expanduser().resolve()` (non-strict: symlinks of the existing prefix resolved). */
export function resolvePath(p: string): string {
  const abs = resolve(expandUser(p));
  const tail: string[] = [];
  let head = abs;
  for (;;) {
    try {
      const real = realpath(head);
      return tail.length ? join(real, ...tail.reverse()) : real;
    } catch {
      const parent = resolve(head, '..');
      if (parent === head) return abs;
      tail.push(head.slice(parent.length).replace(/^\/+/, ''));
      head = parent;
    }
  }
}

/**
 * Where discovery looks for config.json, the weights and the tokenizer, relative to the
 * source (ALGORITHMS.md §3), in order: the source itself (''), then --original-subdir, or
 * else original/ and original/model/ when the root lacks config.json or model.safetensors
 * (`has` answers for a name at the root). The local discovery, the Hub's file selection
 * and the early size guess all walk this list.
 */
export function searchRootNames(originalSubdir: string | null, has: (name: string) => boolean): string[] {
  if (originalSubdir !== null) return ['', originalSubdir];
  return !has('config.json') || !has('model.safetensors') ? ['', 'original', 'original/model'] : [''];
}

/** The tokenizer files looked for in each search root, in the order they are tried. */
export const TOKENIZER_NAMES = ['tokenizer.json', 'tokenizer.model'] as const;
