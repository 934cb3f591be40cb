// Python's int(x) and str(x) applied to json.loads values: the tokenizer.json
// loader uses them on token ids and on model.type, so odd files must convert
// (or be skipped) exactly as the reference does.
import type { PyValue } from '../../format/pyvalue.js';
import { floatRepr } from '../../numeric/python.js';

/** CPython's int() of a str: ASCII whitespace plus the non-ASCII str.isspace() characters. */
const INT_SPACE = /^[ \t\n\r\v\f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[ \t\n\r\v\f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;
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

/** Thrown where Python raises something other than TypeError/ValueError (the loader lets it escape). */
export class PyOverflowError extends Error {}

/**
 * `int(value)` for a JSON value. Returns null where Python raises TypeError or
 * ValueError (the reference skips such ids); throws PyOverflowError for ±inf.
 */
export function pyInt(value: PyValue): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return null;
    if (!Number.isFinite(value)) throw new PyOverflowError('cannot convert float infinity to integer');
    return BigInt(Math.trunc(value));
  }
  if (typeof value === 'string') {
    const s = value.replace(INT_SPACE, '');
    if (!INT_BODY.test(s)) return null;
    let sign = 1n;
    let digits = '';
    for (const ch of s) {
      if (ch === '-') sign = -1n;
      else if (ch === '+' || ch === '_') continue;
      else digits += String(digitValue(ch.codePointAt(0)!));
    }
    if (digits.length > MAX_STR_DIGITS) return null;
    return sign * BigInt(digits);
  }
  return null; // None, list, dict, bytes: TypeError
}

/** Python `repr(str)` (enough for str() of containers; non-ASCII printables kept). */
function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + q;
}

function pyRepr(v: PyValue): string {
  return typeof v === 'string' ? strRepr(v) : pyStr(v);
}

/** Python `str(value)` for a JSON value (model.type may be anything in a hand-written file). */
export function pyStr(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return floatRepr(value);
  if (value instanceof Uint8Array) return `b'${[...value].map((b) => String.fromCharCode(b)).join('')}'`;
  if (Array.isArray(value)) return '[' + value.map(pyRepr).join(', ') + ']';
  return '{' + [...value].map(([k, v]) => `${strRepr(k)}: ${pyRepr(v)}`).join(', ') + '}';
}
