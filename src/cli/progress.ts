// Everything a conversion writes on stderr while it runs: progress (stages,
// layers, downloads) and the conversion log's echo, in one of three forms:
//   tty   one line per stage, redrawn in place with carriage returns (bytes/s, ETA);
//   plain a line when a stage starts and a status line every interval (CI logs: no \r);
//   json  one JSON object per line, for log processors (--log-format json).
// A single writer owns stderr so log lines never land in the middle of a
// progress line.
import type { ProgressEvent } from '../pipeline/read-progress.js';
import type { ConversionLog, LogRecord } from '../log.js';
import type { DownloadEvent } from '../hub/download.js';

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type ProgressMode = 'tty' | 'plain' | 'json' | 'off';
export type LogFormat = 'text' | 'json';

const DEFAULT_PLAIN_INTERVAL_MS = 10_000;
const TTY_INTERVAL_MS = 100;

/** How progress is shown: off with --quiet, JSON with --log-format json, else by whether stderr is a terminal. */
export function progressMode(o: { quiet: boolean; logFormat: LogFormat; stream: OutStream; env: Record<string, string | undefined> }): ProgressMode {
  const forced = (o.env.SERA_TRANSFER_PROGRESS ?? '').trim().toLowerCase();
  if (o.quiet || ['off', 'none', '0', 'false', 'no'].includes(forced)) return 'off';
  if (o.logFormat === 'json') return 'json';
  if (forced === 'plain' || forced === 'tty') return forced;
  return o.stream.isTTY ? 'tty' : 'plain';
}

/** The plain form's interval: SERA_TRANSFER_PROGRESS_INTERVAL seconds (default 10). */
export function plainInterval(env: Record<string, string | undefined>): number {
  const raw = env.SERA_TRANSFER_PROGRESS_INTERVAL?.trim();
  const v = Number(raw);
  return raw && Number.isFinite(v) && v >= 0 ? v * 1000 : DEFAULT_PLAIN_INTERVAL_MS; // Number('') is 0: unset and blank mean the default
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${n} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function rate(bytes: number, ms: number): number | null {
  return ms > 0 && bytes > 0 ? bytes / (ms / 1000) : null;
}

function eta(fraction: number | null, elapsed: number): number | null {
  if (fraction === null || fraction <= 0 || fraction >= 1) return null;
  return (elapsed * (1 - fraction)) / fraction;
}

function bar(fraction: number, width = 20): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '[' + '#'.repeat(full) + '-'.repeat(width - full) + ']';
}

function stageLabel(e: ProgressEvent): string {
  return e.stageIndex > 0 ? `[${e.stageIndex}/${e.stageCount}] ${e.stage}` : e.stage;
}

/** "1.0 GiB read  102 MiB/s" for a stage that reads the checkpoint; nothing for one that does not. */
function readParts(e: ProgressEvent, elapsed: number): string[] {
  if (e.stageBytes <= 0) return [];
  const r = rate(e.stageBytes, elapsed);
  return r === null ? [`${formatBytes(e.stageBytes)} read`] : [`${formatBytes(e.stageBytes)} read`, `${formatBytes(Math.round(r))}/s`];
}

/** The text of a conversion progress line (shared by the tty and plain forms). */
export function describeProgress(e: ProgressEvent, withBar: boolean): string {
  if (e.kind === 'stage') return stageLabel(e);
  const elapsed = e.now - e.stageStartedAt;
  const parts = [stageLabel(e)];
  if (e.layer !== null && e.layerCount > 0) parts.push(`layer ${Math.min(e.layer + 1, e.layerCount)}/${e.layerCount}`);
  if (e.fraction !== null) parts.push((withBar ? bar(e.fraction) + ' ' : '') + `${Math.floor(e.fraction * 100)}%`);
  parts.push(...readParts(e, elapsed));
  const left = eta(e.fraction, elapsed);
  parts.push(left !== null ? `ETA ${formatDuration(left)}` : formatDuration(elapsed));
  return parts.join('  ');
}

/** The final text of a stage's line (tty form), once the next stage starts. */
export function describeFinished(e: ProgressEvent, now: number): string {
  const elapsed = now - e.stageStartedAt;
  const parts = [stageLabel(e)];
  if (e.layer !== null && e.layerCount > 0) parts.push(`${e.layerCount} layer${e.layerCount === 1 ? '' : 's'}`);
  parts.push(...readParts(e, elapsed), `done in ${formatDuration(elapsed)}`);
  return parts.join('  ');
}

export function describeDownload(e: DownloadEvent, withBar: boolean): string {
  const label = `download [${e.fileIndex}/${e.fileCount}] ${e.file}`;
  if (e.kind === 'done' && e.resumedFrom === e.size) return `${label}  ${formatBytes(e.size)}  in the cache`;
  const elapsed = e.now - e.startedAt;
  const fraction = e.size > 0 ? e.bytes / e.size : 1;
  const parts = [label, `${formatBytes(e.bytes)}/${formatBytes(e.size)}`];
  parts.push((withBar ? bar(fraction) + ' ' : '') + `${Math.floor(fraction * 100)}%`);
  const fetched = e.bytes - e.resumedFrom;
  const r = rate(fetched, elapsed);
  if (r !== null) parts.push(`${formatBytes(Math.round(r))}/s`);
  if (e.resumedFrom > 0) parts.push(`resumed at ${formatBytes(e.resumedFrom)}`);
  if (e.kind === 'done') parts.push(`done in ${formatDuration(elapsed)}`);
  else if (r !== null && e.size > e.bytes) parts.push(`ETA ${formatDuration(((e.size - e.bytes) / r) * 1000)}`);
  return parts.join('  ');
}

export interface ReporterOptions {
  mode: ProgressMode;
  logFormat: LogFormat;
  /** Minimum time between plain/json status lines within a stage or file (ms). */
  intervalMs?: number;
  now?: () => Date;
}

/** The single writer of stderr during a run. */
export class Reporter {
  readonly mode: ProgressMode;
  readonly logFormat: LogFormat;
  readonly #out: OutStream;
  readonly #interval: number;
  readonly #now: () => Date;
  /** The tty line currently shown (without \r), '' when none. */
  #line = '';
  #lastDraw = -Infinity;
  #lastKey = '';
  /** The latest event of the running stage (its final tty line is drawn from it). */
  #current: ProgressEvent | null = null;

  constructor(out: OutStream, o: ReporterOptions) {
    this.#out = out;
    this.mode = o.mode;
    this.logFormat = o.logFormat;
    this.#now = o.now ?? (() => new Date());
    this.#interval = o.intervalMs ?? (o.mode === 'tty' ? TTY_INTERVAL_MS : DEFAULT_PLAIN_INTERVAL_MS);
  }

  /** Echo of the conversion log: verbose → INFO and up (DEBUG with --debug); otherwise warnings; quiet → nothing. */
  attach(log: ConversionLog, o: { verbose: boolean; debug: boolean; quiet: boolean }): void {
    if (o.verbose) log.addSink((rec) => { if (rec.level !== 'DEBUG' || o.debug) this.log(rec, true); });
    else if (!o.quiet) log.addSink((rec) => { if (rec.level === 'WARNING') this.log(rec, false); });
  }

  /** Writes one log record: the reference's `LEVEL:name:msg` when verbose, `sera-transfer: warning: …` otherwise. */
  log(rec: LogRecord, verboseForm: boolean): void {
    if (this.logFormat === 'json') {
      this.#json({ time: rec.time.toISOString(), level: rec.level, logger: 'sera_transfer', message: rec.message });
      return;
    }
    const text = verboseForm ? `${rec.level}:sera_transfer:${rec.message}` : `sera-transfer: ${rec.level.toLowerCase()}: ${rec.message}`;
    this.text(text);
  }

  /** A warning or notice that is not part of conversion.log (profiles, downloads). */
  notice(level: 'INFO' | 'WARNING', message: string): void {
    if (this.logFormat === 'json') this.#json({ time: this.#now().toISOString(), level, logger: 'sera_transfer.cli', message });
    else this.text(`sera-transfer: ${level === 'WARNING' ? 'warning' : 'info'}: ${message}`);
  }

  /** A full line on stderr; a tty progress line is cleared first and redrawn after. */
  text(line: string): void {
    if (this.#line) {
      this.#out.write(`\r\x1b[K${line}\n${this.#fit(this.#line)}`);
    } else {
      this.#out.write(line + '\n');
    }
  }

  /** The conversion's progress listener (ConvertOptions.onProgress). */
  readonly progress = (e: ProgressEvent): void => {
    if (this.mode === 'off') return;
    const key = `stage:${e.stage}`;
    if (this.mode === 'tty' && e.kind !== 'read' && this.#current && this.#line) {
      this.#draw('sera-transfer ' + describeFinished({ ...this.#current, stageCount: e.stageCount }, e.now)); // an optional stage may have been announced since
    }
    this.#current = e.kind === 'done' ? null : e;
    if (e.kind === 'stage') {
      this.#finishLine();
      this.#lastKey = key;
      this.#lastDraw = e.now;
      if (this.mode === 'tty') this.#draw('sera-transfer ' + describeProgress(e, true));
      else if (this.mode === 'plain') this.#out.write(`sera-transfer: ${describeProgress(e, false)}\n`);
      else this.#json(this.#progressJson('stage', e));
      return;
    }
    if (e.kind === 'done') {
      this.#finishLine();
      const msg = `converted in ${formatDuration(e.now - e.startedAt)} (${formatBytes(e.totalBytes)} read from the checkpoint)`;
      if (this.mode === 'json') this.#json({ ...this.#progressJson('done', e), message: msg });
      else this.#out.write(`sera-transfer: ${msg}\n`);
      return;
    }
    if (e.now - this.#lastDraw < this.#interval) return;
    this.#lastDraw = e.now;
    if (this.mode === 'tty') this.#draw('sera-transfer ' + describeProgress(e, true));
    else if (this.mode === 'plain') this.#out.write(`sera-transfer: ${describeProgress(e, false)}\n`);
    else this.#json(this.#progressJson('progress', e));
  };

  /** Hub download progress. */
  readonly download = (e: DownloadEvent): void => {
    if (this.mode === 'off') return;
    const key = `file:${e.file}`;
    if (e.kind === 'retry') {
      this.text(`sera-transfer: ${e.file}: connection lost (${e.message ?? 'no reason given'}); resuming at ${formatBytes(e.bytes)}`);
      return;
    }
    const first = key !== this.#lastKey;
    const last = e.kind === 'done';
    if (!first && !last && (e.now - this.#lastDraw < this.#interval || e.bytes >= e.size)) return; // 'done' follows a complete file
    if (first) this.#finishLine();
    this.#lastKey = key;
    this.#lastDraw = e.now;
    if (this.mode === 'tty') {
      this.#draw('sera-transfer ' + describeDownload(e, true));
      if (last) this.#finishLine();
    } else if (this.mode === 'plain') {
      this.#out.write(`sera-transfer: ${describeDownload(e, false)}\n`);
    } else {
      this.#json({
        time: this.#now().toISOString(), level: 'INFO', logger: 'sera_transfer.progress', event: last ? 'download_done' : 'download',
        file: e.file, file_index: e.fileIndex, file_count: e.fileCount, bytes: e.bytes, size: e.size, resumed_from: e.resumedFrom,
        total_bytes: e.totalBytes, total_size: e.totalSize,
      });
    }
  };

  /** Ends a tty line in progress (before an error message or at exit). */
  close(): void {
    this.#finishLine();
  }

  #progressJson(event: string, e: ProgressEvent): Record<string, unknown> {
    const elapsed = e.now - e.stageStartedAt;
    const r = rate(e.stageBytes, elapsed);
    const left = eta(e.fraction, elapsed);
    return {
      time: this.#now().toISOString(), level: 'INFO', logger: 'sera_transfer.progress', event, stage: e.stage,
      stage_index: e.stageIndex || null, stage_count: e.stageCount, layer: e.layer === null ? null : e.layer + 1, layers: e.layerCount,
      fraction: e.fraction === null ? null : Math.round(e.fraction * 1000) / 1000, bytes_read: e.stageBytes, bytes_per_second: r === null ? null : Math.round(r),
      eta_seconds: left === null ? null : Math.round(left / 100) / 10, elapsed_seconds: Math.round(elapsed / 100) / 10,
    };
  }

  #fit(line: string): string {
    const cols = this.#out.columns;
    return cols && cols > 10 && line.length >= cols ? line.slice(0, cols - 1) : line;
  }

  #draw(line: string): void {
    this.#line = line;
    this.#out.write(`\r${this.#fit(line)}\x1b[K`);
  }

  #finishLine(): void {
    if (this.#line) {
      this.#out.write('\n');
      this.#line = '';
    }
  }

  #json(obj: Record<string, unknown>): void {
    this.text(JSON.stringify(obj));
  }
}
