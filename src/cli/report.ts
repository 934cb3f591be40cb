// One clear line (plus a hint line) per error on stderr, and the exit code:
// 2 for usage, 1 for everything else. Stacks only with --debug.
import { SeraError } from '../errors.js';

export interface ErrorStream {
  write(s: string): unknown;
}

export function reportError(err: unknown, stderr: ErrorStream, debug: boolean): number {
  if (err instanceof SeraError) {
    stderr.write(`sera-transfer: error: ${err.message}\n`);
    if (err.hint) stderr.write(`  hint: ${err.hint}\n`);
    if (debug && err.stack) stderr.write(indentStack(err.stack));
    return err.exitCode;
  }
  const e = err as Error;
  const name = e?.name === 'CACError' ? 'usage' : undefined;
  if (name === 'usage') {
    stderr.write(`sera-transfer: error: ${e.message}\n  hint: run 'sera-transfer --help' for the commands and flags\n`);
    return 2;
  }
  stderr.write(`sera-transfer: error: unexpected failure: ${e?.message ?? String(err)}\n`);
  stderr.write(debug && e?.stack ? indentStack(e.stack) : '  hint: this is a bug in sera-transfer; re-run with --debug and report the output\n');
  return 1;
}

function indentStack(stack: string): string {
  return stack.split('\n').slice(1).map((l) => `  [debug] ${l.trim()}\n`).join('');
}
