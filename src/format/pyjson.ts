// Python's json.dumps(obj, indent=2, sort_keys=True) (ensure_ascii=True), byte for byte.
import { floatRepr, compareCodePoints } from '../numeric/python.js';
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
  const indent = opts.indent === undefined ? 2 : opts.indent;
  const sortKeys = opts.sortKeys ?? true;
  const parts: string[] = [];
  const write = (v: PyValue, level: number): void => {
    if (v === null) parts.push('null');
    else if (v === true) parts.push('true');
    else if (v === false) parts.push('false');
    else if (typeof v === 'bigint') parts.push(v.toString());
    else if (typeof v === 'number') parts.push(floatToken(v));
    else if (typeof v === 'string') parts.push(escape(v));
    else if (v instanceof Uint8Array) parts.push(escape(bytesTag(v)));
    else if (Array.isArray(v)) {
      if (v.length === 0) { parts.push('[]'); return; }
      if (indent === null) {
        parts.push('[');
        v.forEach((item, i) => { if (i) parts.push(', '); write(item, level + 1); });
        parts.push(']');
        return;
      }
      const pad = '\n' + ' '.repeat(indent * (level + 1));
      parts.push('[');
      v.forEach((item, i) => { parts.push(i ? ',' + pad : pad); write(item, level + 1); });
      parts.push('\n' + ' '.repeat(indent * level) + ']');
    } else {
      const keys = [...v.keys()];
      if (keys.length === 0) { parts.push('{}'); return; }
      if (sortKeys) keys.sort(compareCodePoints);
      if (indent === null) {
        parts.push('{');
        keys.forEach((k, i) => { if (i) parts.push(', '); parts.push(escape(k), ': '); write(v.get(k)!, level + 1); });
        parts.push('}');
        return;
      }
      const pad = '\n' + ' '.repeat(indent * (level + 1));
      parts.push('{');
      keys.forEach((k, i) => {
        parts.push(i ? ',' + pad : pad, escape(k), ': ');
        write(v.get(k)!, level + 1);
      });
      parts.push('\n' + ' '.repeat(indent * level) + '}');
    }
  };
  write(value, 0);
  return parts.join('');
}
