// A byte trie in typed arrays: node ids 0..size-1 (root 0), children found
// through one open-addressing table keyed by (parent, byte). Sized up front,
// so 200k-piece vocabularies (millions of nodes) build without per-node objects.

export class ByteTrie {
  /** Number of nodes, root included. */
  size = 1;
  /** Depth (string length) of each node. */
  readonly depth: Int32Array;
  readonly #parent: Int32Array;
  readonly #byte: Uint8Array;
  readonly #child: Int32Array;
  readonly #mask: number;
  readonly #shift: number;

  /** `maxNodes` bounds the node count (1 + total bytes inserted is always enough). */
  constructor(maxNodes: number) {
    this.depth = new Int32Array(maxNodes);
    let bits = 4;
    while (1 << bits < maxNodes * 2) bits++;
    const cap = 1 << bits;
    this.#mask = cap - 1;
    this.#shift = 32 - bits;
    this.#parent = new Int32Array(cap).fill(-1);
    this.#byte = new Uint8Array(cap);
    this.#child = new Int32Array(cap);
  }

  #slot(node: number, byte: number): number {
    // Fibonacci hashing on the high bits, linear probing.
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(byte + 1, 0x85ebca77)) >>> 0;
    h = (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> this.#shift) & this.#mask;
    for (;;) {
      const p = this.#parent[h]!;
      if (p === -1 || (p === node && this.#byte[h] === byte)) return h;
      h = (h + 1) & this.#mask;
    }
  }

  /** The child of `node` along `byte`, or -1. */
  child(node: number, byte: number): number {
    const h = this.#slot(node, byte);
    return this.#parent[h] === -1 ? -1 : this.#child[h]!;
  }

  /** The child of `node` along `byte`, created if missing. */
  ensureChild(node: number, byte: number): number {
    const h = this.#slot(node, byte);
    if (this.#parent[h] !== -1) return this.#child[h]!;
    if (this.size >= this.depth.length) throw new RangeError('ByteTrie capacity exceeded');
    const id = this.size++;
    this.#parent[h] = node;
    this.#byte[h] = byte;
    this.#child[h] = id;
    this.depth[id] = this.depth[node]! + 1;
    return id;
  }
}
