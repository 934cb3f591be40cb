// Python's json.dumps(obj, indent=2, sort_keys=True) (ensure_ascii=True), byte for byte.
import { floatRepr, sortCodePoints } from '../numeric/python.js';
import { bytesTag, type PyValue } from './pyvalue.js';

function escape(s: string): string {
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
}

export function dumps(value: PyValue, opts: DumpOptions = {}): string {
  const parts: string[] = [];
  dumpTo(value, (chunk) => parts.push(chunk), opts);
  return parts.join('');
}

const FLUSH_AT = 1 << 20;

/**
 * The same text as `dumps`, handed to `sink` in chunks of about 1 MiB, so a
 * large state file never exists as one string (or as millions of parts).
 */
export function dumpTo(value: PyValue, sink: (chunk: string) => void, opts: DumpOptions = {}): void {
  const indent = opts.indent === undefined ? 2 : opts.indent;
  const sortKeys = opts.sortKeys ?? true;
  let buf = '';
  const out = (t: string): void => {
    buf += t;
    if (buf.length >= FLUSH_AT) { sink(buf); buf = ''; }
  };
  const write = (v: PyValue, level: number): void => {
    if (v === null) out('null');
    else if (v === true) out('true');
    else if (v === false) out('false');
    else if (typeof v === 'bigint') out(v.toString());
    else if (typeof v === 'number') out(floatToken(v));
    else if (typeof v === 'string') out(escape(v));
    else if (v instanceof Uint8Array) out(escape(bytesTag(v)));
    else if (Array.isArray(v)) {
      if (v.length === 0) { out('[]'); return; }
      if (indent === null) {
        out('[');
        v.forEach((item, i) => { if (i) out(', '); write(item, level + 1); });
        out(']');
        return;
      }
      const pad = '\n' + ' '.repeat(indent * (level + 1));
      out('[');
      v.forEach((item, i) => { out(i ? ',' + pad : pad); write(item, level + 1); });
      out('\n' + ' '.repeat(indent * level) + ']');
    } else {
      const keys = [...v.keys()];
      if (keys.length === 0) { out('{}'); return; }
      if (sortKeys) sortCodePoints(keys);
      if (indent === null) {
        out('{');
        keys.forEach((k, i) => { if (i) out(', '); out(escape(k)); out(': '); write(v.get(k)!, level + 1); });
        out('}');
        return;
      }
      const pad = '\n' + ' '.repeat(indent * (level + 1));
      out('{');
      keys.forEach((k, i) => {
        out(i ? ',' + pad : pad);
        out(escape(k));
        out(': ');
        write(v.get(k)!, level + 1);
      });
      out('\n' + ' '.repeat(indent * level) + '}');
    }
  };
  write(value, 0);
  if (buf.length) sink(buf);
}
