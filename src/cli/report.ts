// One clear line (plus a hint line) per error on stderr, and the exit code:
// 2 for usage, 1 for everything else, 128+N after a signal. With --debug the
// underlying system error and the stack follow; never otherwise.
import { SeraError } from '../errors.js';

export interface ErrorStream {
  write(s: string): unknown;
}

export function reportError(err: unknown, stderr: ErrorStream, debug: boolean): number {
  if (err instanceof SeraError) {
    stderr.write(`sera-transfer: error: ${oneLine(err.message)}\n`);
    if (err.hint) stderr.write(`  hint: ${oneLine(err.hint)}\n`);
    if (debug) writeDebug(err, stderr);
    return err.exitCode;
  }
  const e = err as Error;
  const name = e?.name === 'CACError' ? 'usage' : undefined;
  if (name === 'usage') {
    stderr.write(`sera-transfer: error: ${oneLine(e.message)}\n  hint: run 'sera-transfer --help' for the commands and flags\n`);
    if (debug) writeDebug(e, stderr);
    return 2;
  }
  stderr.write(`sera-transfer: error: unexpected failure: ${oneLine(e?.message ?? String(err))}\n`);
  if (debug) writeDebug(e, stderr);
  else stderr.write('  hint: this is a bug in sera-transfer; re-run with --debug and report the output\n');
  return 1;
}

/** Keeps the one-line promise even when a message quotes multi-line input. */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

function writeDebug(err: Error | undefined, stderr: ErrorStream): void {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause !== undefined) {
    const c = cause as NodeJS.ErrnoException;
    const syscall = c?.syscall ? ` [syscall ${c.syscall}${c.errno !== undefined ? `, errno ${c.errno}` : ''}]` : '';
    stderr.write(`  [debug] cause: ${c?.message ?? String(cause)}${syscall}\n`);
  }
  if (err?.stack) stderr.write(indentStack(err.stack));
}

function indentStack(stack: string): string {
  return stack.split('\n').slice(1).map((l) => `  [debug] ${l.trim()}\n`).join('');
}
