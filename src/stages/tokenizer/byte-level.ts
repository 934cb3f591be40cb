// The Hugging Face byte-level BPE alphabet (ALGORITHMS.md §7.2) and the two
// string -> bytes encoders the reference uses for tokenizer.json vocabularies.

/**
 * GPT-2's bytes_to_unicode as (byte, code point) pairs in its order: the
 * printable bytes stand for themselves, the others for U+0100, U+0101, …
 */
const BYTES_TO_UNICODE: ReadonlyArray<readonly [number, number]> = (() => {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: Array<[number, number]> = [];
  for (let b = 0; b < 256; b++) if (printable(b)) out.push([b, b]);
  let next = 256;
  for (let b = 0; b < 256; b++) if (!printable(b)) out.push([b, next++]);
  return out;
})();

/** The 256 bytes in bytes_to_unicode order: the rank order of a byte-level BPE's byte tokens. */
export const BYTE_LEVEL_ORDER: readonly number[] = BYTES_TO_UNICODE.map(([b]) => b);

/** Code point -> byte for the 256 byte-level characters (-1 = not in the alphabet). */
const DECODER: Int16Array = (() => {
  const map = new Int16Array(BYTES_TO_UNICODE[255]![1] + 1).fill(-1);
  for (const [b, cp] of BYTES_TO_UNICODE) map[cp] = b;
  return map;
})();

/** The byte a byte-level character stands for, or -1 (for tests and the bench). */
export function byteLevelByte(codePoint: number): number {
  return codePoint < DECODER.length ? DECODER[codePoint]! : -1;
}

const ENCODER: string[] = (() => {
  const out = new Array<string>(256);
  for (let cp = 0; cp < DECODER.length; cp++) if (DECODER[cp]! >= 0) out[DECODER[cp]!] = String.fromCodePoint(cp);
  return out;
})();

/** The byte-level character for a byte (inverse map; used to synthesise vocabularies). */
export function byteLevelChar(byte: number): string {
  const ch = ENCODER[byte];
  if (ch === undefined) throw new RangeError(`not a byte: ${byte}`);
  return ch;
}

/** Python's UnicodeEncodeError text for a lone surrogate at code-point index `pos`. */
function surrogateError(unit: number, pos: number): Error {
  return new Error(
    `'utf-8' codec can't encode character '\\u${unit.toString(16).padStart(4, '0')}' in position ${pos}: surrogates not allowed`,
  );
}

/** Appends the UTF-8 bytes of one code point; lone surrogates throw like Python's str.encode. */
function pushUtf8(out: number[], cp: number, pos: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) {
    if (cp >= 0xd800 && cp <= 0xdfff) throw surrogateError(cp, pos);
    out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  } else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

/**
 * `token.encode('utf-8')`. TextEncoder would silently turn a lone surrogate
 * (possible via a `\ud800` JSON escape) into U+FFFD; Python raises, which makes
 * the whole tokenizer file fail to load.
 */
export function encodeUtf8Strict(token: string): Uint8Array {
  const out: number[] = [];
  let pos = 0;
  for (const ch of token) pushUtf8(out, ch.codePointAt(0)!, pos++);
  return Uint8Array.from(out);
}

/**
 * The reference's `_decode_bpe_token`: per code point, a byte-level character
 * gives its byte, anything else its own UTF-8 bytes ("Ġa" -> 20 61, "€" -> e2 82 ac).
 */
export function decodeByteLevel(token: string): Uint8Array {
  const out: number[] = [];
  for (const ch of token) {
    const cp = ch.codePointAt(0)!;
    const b = cp < DECODER.length ? DECODER[cp]! : -1;
    // Python encodes the single character, so a surrogate reports position 0.
    if (b >= 0) out.push(b);
    else pushUtf8(out, cp, 0);
  }
  return Uint8Array.from(out);
}
