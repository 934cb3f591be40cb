// Python builtins applied to JSON values (config.json fields, tokenizer.json ids
// and model.type): int(), float(), truthiness, str() and repr(), with the
// exceptions Python raises, so messages and accept/reject decisions match the
// reference.
import type { PyValue } from '../format/pyvalue.js';
import { floatRepr } from '../numeric/python.js';

/** What Python would raise: ValueError (clean exit 1) or TypeError/OverflowError (traceback, exit 1). */
export class PyConversionError extends Error {
  readonly pyType: 'ValueError' | 'TypeError' | 'OverflowError';
  constructor(pyType: 'ValueError' | 'TypeError' | 'OverflowError', message: string) {
    super(message);
    this.pyType = pyType;
  }
}

export function typeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

/** Python truthiness. */
export function truthy(v: PyValue | undefined): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0; // NaN is truthy in Python, and NaN !== 0
  if (typeof v === 'string' || Array.isArray(v) || v instanceof Uint8Array) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** Whitespace int(str) strips: ASCII \t-\r and space, plus the non-ASCII str.isspace()
 * characters (CPython maps only those to ' ', so \x1c-\x1f are refused; JS \s would
 * also wrongly accept U+FEFF). */
const INT_SPACE = /^[ \t\n\r\v\f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[ \t\n\r\v\f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;
/** Sign, then any Unicode decimal digits (e.g. Arabic-Indic) with single underscores between them. */
const INT_BODY = /^[+-]?\p{Nd}(?:_?\p{Nd})*$/u;
const ND = /\p{Nd}/u;
/** sys.int_info.default_max_str_digits: longer digit strings raise ValueError. */
const MAX_STR_DIGITS = 4300;

/** Value of a Unicode decimal digit: Nd characters come in aligned runs of ten starting at zero. */
function digitValue(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

/** Python `int(v)` for JSON values. */
export function pyInt(v: PyValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new PyConversionError('ValueError', 'cannot convert float NaN to integer');
    if (!Number.isFinite(v)) throw new PyConversionError('OverflowError', 'cannot convert float infinity to integer');
    return BigInt(Math.trunc(v));
  }
  if (typeof v === 'string') {
    const s = v.replace(INT_SPACE, '');
    if (!INT_BODY.test(s)) throw new PyConversionError('ValueError', `invalid literal for int() with base 10: ${pyRepr(v)}`);
    let negative = false;
    let digits = '';
    for (const ch of s) {
      if (ch === '-') negative = true;
      else if (ch !== '+' && ch !== '_') digits += String(digitValue(ch.codePointAt(0)!));
    }
    if (digits.length > MAX_STR_DIGITS) {
      throw new PyConversionError('ValueError', `Exceeds the limit (${MAX_STR_DIGITS} digits) for integer string conversion: ` +
        `value has ${digits.length} digits; use sys.set_int_max_str_digits() to increase the limit`);
    }
    const n = BigInt(digits);
    return negative ? -n : n;
  }
  throw new PyConversionError('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${typeName(v)}'`);
}

/** Python `float(v)` for JSON values. */
export function pyFloat(v: PyValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    const f = Number(v);
    if (!Number.isFinite(f)) throw new PyConversionError('OverflowError', 'int too large to convert to float');
    return f;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim();
    const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
    if (special) {
      if (special[2]!.toLowerCase() === 'nan') return NaN;
      return special[1] === '-' ? -Infinity : Infinity;
    }
    if (/^[+-]?(\d(_?\d)*)?(\.(\d(_?\d)*)?)?([eE][+-]?\d(_?\d)*)?$/.test(s) && /\d/.test(s.split(/[eE]/)[0]!)) {
      return Number(s.replace(/_/g, ''));
    }
    throw new PyConversionError('ValueError', `could not convert string to float: ${pyRepr(v)}`);
  }
  throw new PyConversionError('TypeError', `float() argument must be a string or a real number, not '${typeName(v)}'`);
}

function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c < 0xa0) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\u' + c.toString(16); // a lone surrogate (a pair reads as one code point)
    else out += ch; // printable non-ASCII is kept, as str.__repr__ does (approximation of isprintable)
  }
  return out + quote;
}

/** Python `repr()` of a JSON value. */
export function pyRepr(v: PyValue): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return floatRepr(v);
  if (typeof v === 'string') return strRepr(v);
  if (v instanceof Uint8Array) return bytesRepr(v);
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  return '{' + [...v].map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
}

/** Python `str(v)`: the string itself, repr() for anything else. */
export function pyStr(v: PyValue): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** Python `repr(bytes)`, byte for byte: the runtime's prefix-free error text lands in sera_state.json. */
export function bytesRepr(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const c of b) { if (c === 0x27) hasSingle = true; else if (c === 0x22) hasDouble = true; }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = 'b' + quote;
  for (const c of b) {
    if (c === quote.charCodeAt(0) || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += String.fromCharCode(c);
  }
  return out + quote;
}
