// Paths the way the reference's pathlib spells them.
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { realpath } from './fs.js';

/** `Path(p).expanduser().resolve()` (non-strict: symlinks of the existing prefix resolved). */
export function resolvePath(p: string): string {
  let s = p;
  if (s === '~' || s.startsWith('~/')) s = join(homedir(), s.slice(1));
  const abs = resolve(s);
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
