// The `tokenizer_fst` text (ALGORITHMS.md §7.7), written straight to ASCII
// bytes: millions of transition lines for a 200k vocabulary.
import type { VocabIndex } from './vocab-index.js';

const HEADER = '% byte level fst derived from tokenizer\nstart 0\nend 0';

class AsciiWriter {
  buf: Uint8Array;
  len = 0;
  constructor(initial: number) {
    this.buf = new Uint8Array(Math.max(64, initial));
  }
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
  text(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }
  /** Decimal digits of a non-negative integer below 2^53 (caller reserved room). */
  uint(n: number): void {
    if (n < 10) {
      this.buf[this.len++] = 48 + n;
      return;
    }
    let digits = 0;
    for (let t = n; t >= 1; t = Math.floor(t / 10)) digits++;
    let at = this.len + digits;
    this.len = at;
    for (let t = n; t >= 1; t = Math.floor(t / 10)) this.buf[--at] = 48 + (t % 10);
  }
}

/**
 * The FST text for `pieces` (id order; `ids[i]` is the output label of piece i).
 * State numbers follow the reference's quirk: a trie node gets a state only
 * when a piece passes *through* it (not when a piece ends there), in id order.
 */
export function fstText(pieces: readonly Uint8Array[], ids: readonly number[], index: VocabIndex): Uint8Array {
  const { trie } = index;
  const state = new Int32Array(trie.size).fill(-1);
  let nextState = 1;
  let bytes = 0;
  for (const p of pieces) bytes += p.length;
  const w = new AsciiWriter(HEADER.length + bytes * 12);
  w.text(HEADER);
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    const last = p.length - 1;
    let node = 0;
    let cur = 0;
    for (let idx = 0; idx <= last; idx++) {
      const b = p[idx]!;
      const child = trie.child(node, b);
      let dst = 0;
      let out = 0;
      if (idx < last) {
        if (state[child]! < 0) state[child] = nextState++;
        dst = state[child]!;
      } else out = ids[i]!;
      // "\n{src} {dst} {byte} {out}": at most 4 numbers of 16 digits plus 4 separators.
      w.reserve(68);
      w.buf[w.len++] = 10;
      w.uint(cur);
      w.buf[w.len++] = 32;
      w.uint(dst);
      w.buf[w.len++] = 32;
      w.uint(b);
      w.buf[w.len++] = 32;
      w.uint(out);
      node = child;
      cur = dst;
    }
  }
  return w.buf.slice(0, w.len);
}
