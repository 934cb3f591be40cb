// The conversion summary (FORMAT.md §6): the table and the JSON forms.
import { dumps } from './pyjson.js';
import { dict, int, type PyValue } from './pyvalue.js';

export interface SummaryArray {
  name: string;
  path: string;
  dtype: string;
  shape: number[];
  bytes: number;
  sha256: string;
}

export interface Summary {
  source: string;
  output: string;
  arrays: SummaryArray[];
  manifestPath: string;
  metadataKeys: string[];
  snapshots: { kind: string; path: string }[];
  totalBytes: number;
  logPath: string | null;
}

const cp = (s: string) => [...s].length;
const ljust = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - cp(s)));
const rjust = (s: string, w: number) => ' '.repeat(Math.max(0, w - cp(s))) + s;

export function formatSummaryTable(s: Summary): string {
  const header = 'Sera Transfer Conversion Summary';
  const lines = [header, '='.repeat(header.length), `Source : ${s.source}`, `Output : ${s.output}`, `Manifest: ${s.manifestPath}`];
  if (s.logPath) lines.push(`Log file: ${s.logPath}`);
  if (s.metadataKeys.length) lines.push('Metadata sections: ' + [...s.metadataKeys].sort().join(', '));
  lines.push('', 'Arrays:');
  if (s.arrays.length) {
    const nw = Math.max(...s.arrays.map((a) => cp(a.name)));
    const dw = Math.max(...s.arrays.map((a) => cp(a.dtype)));
    const headerRow = `  ${ljust('Name', nw)}  ${ljust('DType', dw)}  Shape        Bytes`;
    lines.push(headerRow, '  ' + '-'.repeat(cp(headerRow) - 2));
    for (const a of s.arrays) {
      const shape = a.shape.length ? a.shape.join(' \u00d7 ') : 'scalar';
      lines.push(`  ${ljust(a.name, nw)}  ${ljust(a.dtype, dw)}  ${ljust(shape, 11)}  ${rjust(String(a.bytes), 8)}`);
    }
  } else {
    lines.push('  <no arrays written>');
  }
  if (s.snapshots.length) {
    lines.push('', 'Snapshots:');
    for (const sn of s.snapshots) lines.push(`  ${ljust(sn.kind, 8)} ${sn.path}`);
  }
  lines.push('', `Total arrays: ${s.arrays.length} | Total payload bytes: ${s.totalBytes}`);
  return lines.join('\n');
}

function summaryValue(s: Summary): PyValue {
  return dict({
    source: s.source,
    output: s.output,
    manifest_path: s.manifestPath,
    metadata_keys: [...s.metadataKeys],
    log_path: s.logPath,
    arrays: s.arrays.map((a) => dict({ name: a.name, path: a.path, dtype: a.dtype, shape: a.shape.map((d) => int(d)), bytes: int(a.bytes), sha256: a.sha256 })),
    snapshots: s.snapshots.map((x) => dict({ kind: x.kind, path: x.path })),
    total_bytes: int(s.totalBytes),
  });
}

function formatSummaryJson(s: Summary): string {
  return dumps(summaryValue(s));
}

export function renderSummary(s: Summary, format: 'table' | 'json'): string {
  return format === 'json' ? formatSummaryJson(s) : formatSummaryTable(s);
}
