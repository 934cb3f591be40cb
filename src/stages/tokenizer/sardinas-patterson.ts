// The Sardinas–Patterson trace (ALGORITHMS.md §7.6) with the reference's exact
// result, computed with tries instead of its O(V^2) pair loops.
//
// Every dangling suffix is a non-empty proper suffix of some piece, so suffixes
// are interned as nodes of a trie over the *reversed* pieces (one node per
// distinct suffix). Per level, for each suffix w:
//   * pieces that are prefixes of w: walk w down the forward trie;
//   * pieces that w is a prefix of: the forward node of w owns the contiguous
//     range of sorted pieces starting with w (each (w, p) pair maps to a distinct
//     (p, |w|), so this costs at most the total vocabulary bytes per level).
// The reference fails ("epsilon witness") exactly when some suffix of a level
// equals a piece; the first level is {x[|y|:] : y a proper prefix piece of x}.
import { sha256Hex } from '../../format/hash.js';
import { compareBytes } from '../../numeric/python.js';
import { TokenizerError } from '../../errors.js';
import { ByteTrie } from './byte-trie.js';
import type { VocabIndex } from './vocab-index.js';

export const SP_EPSILON_MESSAGE = 'Vocabulary fails Sardinas–Patterson (epsilon witness)';

export interface SpLevel {
  level: number;
  /** Distinct remainders, bytewise ascending. */
  remainders: Uint8Array[];
}

export type SpOutcome =
  | { status: 'ok'; levels: SpLevel[]; digest: string }
  | {
      status: 'ambiguous';
      /** The level whose dangling-suffix set meets the vocabulary. */
      level: number;
      /** The bytewise-smallest such suffix (a piece itself). */
      witness: Uint8Array;
      /** Index into VocabIndex.uniq of the witness piece. */
      witnessPiece: number;
      /** Sizes of levels 1..level. */
      levelSizes: number[];
    };

/** The reference's digest payload: per level BE-u16 level ‖ (BE-u16 len ‖ remainder)*. */
export function spDigest(levels: readonly SpLevel[]): string {
  let size = 0;
  for (const { level, remainders } of levels) {
    if (level > 0xffff) throw new TokenizerError(`Sardinas–Patterson trace has ${level} levels; its digest encodes the level in 2 bytes (int too big to convert)`);
    size += 2;
    for (const r of remainders) {
      if (r.length > 0xffff) throw new TokenizerError(`Sardinas–Patterson remainder of ${r.length} bytes does not fit the digest's 2-byte length (int too big to convert)`);
      size += 2 + r.length;
    }
  }
  const buf = new Uint8Array(size);
  let o = 0;
  for (const { level, remainders } of levels) {
    buf[o++] = level >>> 8;
    buf[o++] = level & 255;
    for (const r of remainders) {
      buf[o++] = r.length >>> 8;
      buf[o++] = r.length & 255;
      buf.set(r, o);
      o += r.length;
    }
  }
  return sha256Hex(buf);
}

/** Interned suffixes: a trie over reversed pieces, one node per distinct suffix. */
interface SuffixIndex {
  /** Flat per-piece paths: node of the suffix of length d of uniq[u] at start[u] + d - 1. */
  path: Int32Array;
  start: Int32Array;
  /** Suffix node -> a piece it is a suffix of. */
  rep: Int32Array;
  depth: Int32Array;
  size: number;
}

function buildSuffixIndex(uniq: readonly Uint8Array[]): SuffixIndex {
  let total = 0;
  for (const p of uniq) total += p.length;
  const trie = new ByteTrie(total + 1);
  const path = new Int32Array(total);
  const start = new Int32Array(uniq.length + 1);
  const rep = new Int32Array(total + 1).fill(-1);
  let o = 0;
  for (let u = 0; u < uniq.length; u++) {
    start[u] = o;
    const p = uniq[u]!;
    let node = 0;
    for (let d = 1; d <= p.length; d++) {
      node = trie.ensureChild(node, p[p.length - d]!);
      if (rep[node] === -1) rep[node] = u;
      path[o++] = node;
    }
  }
  start[uniq.length] = o;
  return { path, start, rep, depth: trie.depth, size: trie.size };
}

/** A growable list of suffix nodes with per-level deduplication by stamp. */
class NodeSet {
  items: Int32Array = new Int32Array(1024);
  length = 0;
  readonly #stamp: Int32Array;
  #gen = 1;

  constructor(capacity: number) {
    this.#stamp = new Int32Array(capacity);
  }

  reset(): void {
    this.length = 0;
    this.#gen++;
  }

  add(node: number): void {
    if (this.#stamp[node] === this.#gen) return;
    this.#stamp[node] = this.#gen;
    if (this.length === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = node;
  }

  /** The members in ascending node order (a canonical form for set equality). */
  sorted(): Int32Array {
    return this.items.slice(0, this.length).sort();
  }
}

function setKey(s: Int32Array): string {
  let h1 = 0x811c9dc5;
  let h2 = s.length;
  for (let i = 0; i < s.length; i++) {
    const x = s[i]!;
    h1 = Math.imul(h1 ^ x, 0x01000193);
    h2 = Math.imul(h2 + x, 0x9e3779b1) ^ (h2 >>> 13);
  }
  return `${s.length}:${h1 >>> 0}:${h2 >>> 0}`;
}

function sameSet(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Runs the trace over the vocabulary's index (shared with the FST).
 * Duplicate pieces behave as one (as in the reference).
 */
export function sardinasPatterson(index: VocabIndex): SpOutcome {
  const { uniq, trie, term, lo, hi } = index;
  const sx = buildSuffixIndex(uniq);
  const suffixNode = (u: number, off: number): number => sx.path[sx.start[u]! + (uniq[u]!.length - off) - 1]!;
  const rootIsPiece = term[0]! >= 0; // the empty piece: every w has it as a prefix

  const next = new NodeSet(sx.size);
  // Level 1: x[|y|:] for every piece y that is a proper prefix of a piece x.
  for (let u = 0; u < uniq.length; u++) {
    const x = uniq[u]!;
    if (x.length === 0) continue;
    if (rootIsPiece) next.add(suffixNode(u, 0));
    let node = 0;
    for (let d = 0; d < x.length - 1; d++) {
      node = trie.child(node, x[d]!);
      if (term[node]! >= 0) next.add(suffixNode(u, d + 1));
    }
  }

  const levels: Int32Array[] = [];
  const visited = new Map<string, Int32Array[]>();
  let cur = next.sorted();
  while (cur.length > 0) {
    levels.push(cur);
    const key = setKey(cur);
    const bucket = visited.get(key);
    if (bucket) bucket.push(cur);
    else visited.set(key, [cur]);

    // The reference's epsilon: some w in this level equals a piece.
    let witness = -1;
    for (const w of cur) {
      const u = sx.rep[w]!;
      const p = uniq[u]!;
      const len = sx.depth[w]!;
      let node = 0;
      for (let i = p.length - len; node >= 0 && i < p.length; i++) node = trie.child(node, p[i]!);
      if (node >= 0 && term[node]! >= 0) {
        const t = term[node]!;
        if (witness < 0 || t < witness) witness = t; // uniq is sorted: the smallest index is the smallest piece
      }
    }
    if (witness >= 0) {
      return { status: 'ambiguous', level: levels.length, witness: uniq[witness]!, witnessPiece: witness, levelSizes: levels.map((l) => l.length) };
    }

    next.reset();
    for (const w of cur) {
      const u = sx.rep[w]!;
      const p = uniq[u]!;
      const len = sx.depth[w]!;
      const off = p.length - len;
      if (rootIsPiece) next.add(w);
      // Pieces that are proper prefixes of w (w itself is not a piece here).
      let node = 0;
      for (let d = 0; d < len; d++) {
        node = trie.child(node, p[off + d]!);
        if (node < 0) break;
        if (term[node]! >= 0 && d + 1 < len) next.add(suffixNode(u, off + d + 1));
      }
      // Pieces having w as a proper prefix: their remainders after |w| bytes.
      if (node >= 0) {
        for (let s = lo[node]!; s < hi[node]!; s++) next.add(suffixNode(s, len));
      }
    }
    if (next.length === 0) break;
    const snap = next.sorted();
    if (visited.get(setKey(snap))?.some((v) => sameSet(v, snap))) break;
    cur = snap;
  }

  const out: SpLevel[] = levels.map((set, i) => {
    const remainders = Array.from(set, (w) => {
      const p = uniq[sx.rep[w]!]!;
      return p.subarray(p.length - sx.depth[w]!);
    });
    remainders.sort(compareBytes);
    return { level: i + 1, remainders };
  });
  return { status: 'ok', levels: out, digest: spDigest(out) };
}
