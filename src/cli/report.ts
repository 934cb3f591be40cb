// One clear line (plus a hint line) per error on stderr, and the exit code:
// 2 for usage, 1 for everything else, 128+N after a signal. With --debug the
// underlying system error and the stack follow; never otherwise. The same
// report is written as text or, with --log-format json, as one JSON object.
import { SeraError } from '../errors.js';

export interface ErrorStream {
  write(s: string): unknown;
}

/** What is reported about an error, whatever the form. */
interface ErrorReport {
  /** The error class users see: a SeraError's name, UsageError for cac's parse errors, Error for a bug. */
  kind: string;
  message: string;
  hint: string | null;
  /** With --debug: the system error that caused it and the stack, one entry a line. */
  debug: string[];
  exitCode: number;
}

function describeError(err: unknown, debug: boolean): ErrorReport {
  const e = err as Error | undefined;
  const debugLines = debug ? debugInfo(e) : [];
  if (err instanceof SeraError) {
    return { kind: err.name, message: oneLine(err.message), hint: err.hint ? oneLine(err.hint) : null, debug: debugLines, exitCode: err.exitCode };
  }
  if (e?.name === 'CACError') {
    return { kind: 'UsageError', message: oneLine(e.message), hint: "run 'sera-transfer --help' for the commands and flags", debug: debugLines, exitCode: 2 };
  }
  return {
    kind: 'Error', message: `unexpected failure: ${oneLine(e?.message ?? String(err))}`,
    // with --debug the stack is the report; without, ask for it
    hint: debug ? null : 'this is a bug in sera-transfer; re-run with --debug and report the output', debug: debugLines, exitCode: 1,
  };
}

export function reportError(err: unknown, stderr: ErrorStream, debug: boolean): number {
  const r = describeError(err, debug);
  stderr.write(`sera-transfer: error: ${r.message}\n`);
  if (r.hint !== null) stderr.write(`  hint: ${r.hint}\n`);
  for (const l of r.debug) stderr.write(`  [debug] ${l}\n`);
  return r.exitCode;
}

/** The error report as one JSON object on stderr (--log-format json). */
export function reportErrorJson(err: unknown, stderr: ErrorStream, debug: boolean): number {
  const r = describeError(err, debug);
  const obj: Record<string, unknown> = {
    time: new Date().toISOString(), level: 'ERROR', logger: 'sera_transfer', message: r.message, hint: r.hint,
    error: r.kind, exit_code: r.exitCode,
  };
  if (r.debug.length) obj.stack = r.debug;
  stderr.write(JSON.stringify(obj) + '\n');
  return r.exitCode;
}

/** Keeps the one-line promise even when a message quotes multi-line input. */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

function debugInfo(err: Error | undefined): string[] {
  const out: string[] = [];
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause !== undefined) {
    const c = cause as NodeJS.ErrnoException;
    const syscall = c?.syscall ? ` [syscall ${c.syscall}${c.errno !== undefined ? `, errno ${c.errno}` : ''}]` : '';
    out.push(`cause: ${oneLine(c?.message ?? String(cause))}${syscall}`);
  }
  if (err?.stack) out.push(...err.stack.split('\n').slice(1).map((l) => l.trim()));
  return out;
}
