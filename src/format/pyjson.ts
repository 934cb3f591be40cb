// Python's json.dumps(obj, indent=2, sort_keys=True) (ensure_ascii=True), byte for byte.
import { floatRepr, sortCodePoints } from '../numeric/python.js';
import { bytesTag, type PyDict, type PyValue } from './pyvalue.js';

// printable ASCII other than '"' and '\\': such a string is written as it is
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function escape(s: string): string {
  if (PLAIN.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else out += s[i];
      continue;
    }
    switch (c) {
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x08: out += '\\b'; break;
      case 0x0c: out += '\\f'; break;
      default: out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + '"';
}

/** A Python float as json.dumps writes it (repr, with NaN/Infinity tokens). */
function floatToken(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return floatRepr(x);
}

export interface DumpOptions {
  /** Indent width; null writes one line with ", " and ": " separators (json.dumps defaults). */
  indent?: number | null;
  sortKeys?: boolean;
  /** Nesting level of `value` inside the document being written (its members are indented one level deeper). */
  level?: number;
  /** Lists and dicts already rendered (renderAhead), written as they are when met at the level they were rendered for. */
  rendered?: Rendered;
}

/** Text of lists and dicts rendered ahead of the document that holds them, by object identity. */
export type Rendered = Map<object, { level: number; text: string }>;

/**
 * Renders `value` (a list or dict) at `level` into `into`, for a later dumpTo with the
 * same options to write as it is: a caller renders parts that no longer change while
 * it would otherwise wait. Changing `value` afterwards would leave stale text: only
 * finished parts belong here.
 */
export function renderAhead(into: Rendered, value: PyValue, level: number, opts: Omit<DumpOptions, 'level' | 'rendered'> = {}): void {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
  const parts: string[] = [];
  dumpTo(value, (chunk) => parts.push(chunk), { ...opts, level });
  into.set(value, { level, text: parts.join('') });
}

export function dumps(value: PyValue, opts: DumpOptions = {}): string {
  const parts: string[] = [];
  dumpTo(value, (chunk) => parts.push(chunk), opts);
  return parts.join('');
}

const FLUSH_AT = 1 << 20;

/** The token of a value that is not a list or a dict; null for those. */
function scalarToken(v: PyValue): string | null {
  switch (typeof v) {
    case 'number': return floatToken(v);
    case 'bigint': return v.toString();
    case 'string': return escape(v);
    case 'boolean': return v ? 'true' : 'false';
    default:
      if (v === null) return 'null';
      if (v instanceof Uint8Array) return escape(bytesTag(v));
      return null;
  }
}

/**
 * The same text as `dumps`, handed to `sink` in chunks of about 1 MiB, so a
 * large state file never exists as one string (or as millions of parts).
 * Lists and dicts whose members are all scalars are written in one piece: a
 * state file is mostly such leaves (keys, weights, seeds), and this runs once
 * per conversion, cold, so fewer calls per value is what makes it fast.
 */
export function dumpTo(value: PyValue, sink: (chunk: string) => void, opts: DumpOptions = {}): void {
  const indent = opts.indent === undefined ? 2 : opts.indent;
  const sortKeys = opts.sortKeys ?? true;
  const itemSep = indent === null ? ', ' : ',';
  const pads: string[] = []; // pads[level]: what starts a member at `level` ('' on one line)
  const padAt = (level: number): string => (pads[level] ??= indent === null ? '' : '\n' + ' '.repeat(indent * level));
  let buf = '';
  const out = (t: string): void => {
    buf += t;
    if (buf.length >= FLUSH_AT) { sink(buf); buf = ''; }
  };
  const rendered = opts.rendered;
  const write = (v: PyValue, level: number): void => {
    const tok = scalarToken(v);
    if (tok !== null) { out(tok); return; }
    const ahead = rendered?.get(v as object);
    if (ahead !== undefined && ahead.level === level) { out(ahead.text); return; }
    const inner = padAt(level + 1);
    const sep = itemSep + inner;
    const close = padAt(level);
    if (Array.isArray(v)) {
      const n = v.length;
      if (n === 0) { out('[]'); return; }
      const toks: string[] = [];
      let i = 0;
      for (; i < n; i++) {
        const t = scalarToken(v[i]!);
        if (t === null) break;
        toks.push(t);
      }
      if (i === n) { out('[' + inner + toks.join(sep) + close + ']'); return; }
      // the scalars before the first container are already tokens; the rest one by one
      out(i ? '[' + inner + toks.join(sep) : '[');
      for (let j = i; j < n; j++) {
        out(j ? sep : inner);
        write(v[j]!, level + 1);
      }
      out(close + ']');
      return;
    }
    const d = v as PyDict;
    if (d.size === 0) { out('{}'); return; }
    const keys = [...d.keys()];
    if (sortKeys) sortCodePoints(keys);
    out('{');
    let line = '';
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j]!;
      const m = d.get(k)!;
      const head = (j ? sep : inner) + escape(k) + ': ';
      const t = scalarToken(m);
      if (t !== null) { line += head + t; continue; }
      out(line + head);
      line = '';
      write(m, level + 1);
    }
    out(line + close + '}');
  };
  write(value, opts.level ?? 0);
  if (buf.length) sink(buf);
}
