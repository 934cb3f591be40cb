// The conversion log: every record goes to conversion.log (DEBUG and up, the
// reference's format); a sink decides what reaches the terminal.

export type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export interface LogRecord {
  time: Date;
  level: Level;
  message: string;
}

export type LogSink = (r: LogRecord) => void;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `YYYY-MM-DD HH:MM:SS,mmm` in local time, as Python's logging.Formatter. */
export function asctime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

export class ConversionLog {
  readonly records: LogRecord[] = [];
  readonly name: string;
  #sinks: LogSink[] = [];
  /** `verbose` turns the reference's "V" messages from DEBUG into INFO. */
  verbose: boolean;

  constructor(opts: { name?: string; verbose?: boolean; sink?: LogSink } = {}) {
    this.name = opts.name ?? 'sera_transfer';
    this.verbose = opts.verbose ?? false;
    if (opts.sink) this.#sinks.push(opts.sink);
  }

  addSink(s: LogSink): void {
    this.#sinks.push(s);
  }

  log(level: Level, message: string): void {
    const r = { time: new Date(), level, message };
    this.records.push(r);
    for (const s of this.#sinks) s(r);
  }

  debug(m: string): void { this.log('DEBUG', m); }
  info(m: string): void { this.log('INFO', m); }
  warn(m: string): void { this.log('WARNING', m); }
  error(m: string): void { this.log('ERROR', m); }
  /** The reference's log_verbose: INFO when verbose, DEBUG otherwise. */
  detail(m: string): void { this.log(this.verbose ? 'INFO' : 'DEBUG', m); }

  /** conversion.log text. */
  text(): string {
    return this.records.map((r) => `${asctime(r.time)} ${r.level} ${this.name}: ${r.message}\n`).join('');
  }
}
