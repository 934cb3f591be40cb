// json.loads with Python's value model: object key order kept exactly (JSON.parse
// moves integer-like keys first), ints as bigint, floats as number, NaN/Infinity
// accepted, duplicate keys overwrite in place, integer literals limited to 4300
// digits as in Python. Errors carry line and column.
import type { PyValue, PyDict } from './pyvalue.js';

export class JsonParseError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(msg: string, text: string, pos: number) {
    let line = 1;
    let col = 1;
    for (let i = 0; i < pos && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) { line++; col = 1; } else col++;
    }
    super(`${msg}: line ${line} column ${col} (char ${pos})`);
    this.line = line;
    this.column = col;
  }
}

const MAX_DEPTH = 1000;
/** Python's default sys.int_info.default_max_str_digits. */
const MAX_INT_DIGITS = 4300;
const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

/** What a strict reader (serde_json, the safetensors crate) refuses but json.loads accepts. */
export type JsonOddity =
  | { kind: 'duplicate'; path: string[]; key: string }
  | { kind: 'nonstandard'; at: number };

export interface StrictJsonOptions {
  /** Report a repeated object key where this returns true; `path` holds the keys from the root ('[]' for an array element). */
  duplicates?: (path: readonly string[]) => boolean;
  /** Report the NaN / Infinity tokens. */
  nonFinite?: boolean;
}

export function parseJson(text: string): PyValue {
  return parse(text, null).value;
}

/**
 * json.loads plus the first oddity (in text order) the options ask about. The
 * value is complete either way, so callers report syntax errors first.
 */
export function parseJsonStrict(text: string, opts: StrictJsonOptions): { value: PyValue; oddity: JsonOddity | null } {
  return parse(text, opts);
}

function parse(text: string, strict: StrictJsonOptions | null): { value: PyValue; oddity: JsonOddity | null } {
  let oddity: JsonOddity | null = null;
  const nonFinite = (at: number): void => {
    if (strict?.nonFinite && !oddity) oddity = { kind: 'nonstandard', at };
  };
  let i = 0;
  const n = text.length;
  const fail = (msg: string, at = i): never => { throw new JsonParseError(msg, text, at); };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const str = (): string => {
    // at opening quote
    const start = ++i;
    let out = '';
    let chunk = start;
    for (;;) {
      if (i >= n) fail('Unterminated string starting at', start - 1);
      const c = text.charCodeAt(i);
      if (c === 0x22) { out += text.slice(chunk, i); i++; return out; }
      if (c < 0x20) fail('Invalid control character at');
      if (c === 0x5c) {
        out += text.slice(chunk, i);
        const e = text[i + 1];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape', i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default: fail('Invalid \\escape', i);
        }
        i += 2;
        chunk = i;
        continue;
      }
      i++;
    }
  };
  // `path` is only tracked when duplicates are watched
  const value = (depth: number, path: string[] | null): PyValue => {
    if (depth > MAX_DEPTH) fail('JSON nested too deeply');
    ws();
    if (i >= n) fail('Expecting value');
    const c = text[i];
    if (c === '"') return str();
    if (c === '{') {
      i++;
      const obj: PyDict = new Map();
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expecting property name enclosed in double quotes');
        const key = str();
        ws();
        if (text[i] !== ':') fail("Expecting ':' delimiter");
        i++;
        if (path && !oddity && obj.has(key) && strict!.duplicates!(path)) oddity = { kind: 'duplicate', path, key };
        obj.set(key, value(depth + 1, path && [...path, key]));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        fail("Expecting ',' delimiter");
      }
    }
    if (c === '[') {
      i++;
      const arr: PyValue[] = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value(depth + 1, path && [...path, '[]']));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail("Expecting ',' delimiter");
      }
    }
    if (text.startsWith('null', i)) { i += 4; return null; }
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('NaN', i)) { nonFinite(i); i += 3; return NaN; }
    if (text.startsWith('Infinity', i)) { nonFinite(i); i += 8; return Infinity; }
    if (text.startsWith('-Infinity', i)) { nonFinite(i + 1); i += 9; return -Infinity; }
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (!m) return fail('Expecting value');
    i += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return Number(m[0]);
    // Python refuses int literals above 4300 digits (int_max_str_digits); so do we,
    // which also keeps a hostile file from spending seconds in BigInt parsing
    const digits = m[0].length - (m[0].startsWith('-') ? 1 : 0);
    if (digits > MAX_INT_DIGITS) fail(`Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion: value has ${digits} digits`, i - m[0].length);
    return BigInt(m[0]);
  };
  const v = value(0, strict?.duplicates ? [] : null);
  ws();
  if (i < n) fail('Extra data');
  return { value: v, oddity };
}

/**
 * Python's json.loads(path.read_text()): strict UTF-8 (a TypeError when invalid),
 * a BOM kept by the decoding and then refused, as json.loads refuses it in any text.
 */
export function parseJsonBytes(bytes: Uint8Array): PyValue {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) throw new JsonParseError('Unexpected UTF-8 BOM (decode using utf-8-sig)', text, 0);
  return parseJson(text);
}
