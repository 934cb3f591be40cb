// Synthetic tokenizer.json files (Hugging Face `tokenizers` layout, type BPE with
// the byte-level pre-tokenizer/decoder), deterministic in (vocab size, seed):
//   * prefixFreeTokenizer: V-1 pieces "Ġ" + a word from a prefix-free code over
//     a..z (leaves of a tree grown breadth-first with 2..26 children per node),
//     ids shuffled, plus the special "<s>" as id V-1. No piece's bytes are a
//     prefix of another's, so the vocabulary passes Sardinas–Patterson (the
//     reference's uniqueness test) and the runtime snapshot builds.
//   * byteLevelBpeTokenizer: an o200k-shaped vocabulary: 256 byte tokens (GPT-2
//     byte order), merges of two earlier tokens (≤ 16 bytes, biased to short
//     ones) up to the base size, then special tokens named after
//     o200k_harmony's (<|startoftext|>, <|endoftext|>, <|return|>, …,
//     <|reserved_N|>) as added_tokens; 201088 = 199998 base + 1090 specials.
//     The real o200k ranks are not available offline; this has the same size
//     and structure (and, like every byte-level BPE, is not uniquely decodable).
import { BYTE_LEVEL_ORDER, byteLevelChar } from '../stages/tokenizer/byte-level.js';
import { Stream } from './random.js';

interface AddedToken {
  id: number;
  content: string;
}

const j = JSON.stringify;

/** Receives the tokenizer.json text in pieces (written out as it is produced). */
export type TextSink = (chunk: string) => void;

/** Collects a sink's output into one string (tests, small vocabularies). */
export function toText(produce: (sink: TextSink) => void): string {
  const parts: string[] = [];
  produce((c) => parts.push(c));
  return parts.join('');
}

/** Emits `count` lines from `line(i)` joined by ",\n", in batches (bounded memory for 200k entries). */
function emitLines(sink: TextSink, count: number, line: (i: number) => string): void {
  const BATCH = 4096;
  for (let i = 0; i < count; i += BATCH) {
    const parts: string[] = [];
    for (let k = i; k < Math.min(count, i + BATCH); k++) parts.push(line(k));
    sink((i ? ',\n' : '') + parts.join(',\n'));
  }
}

/** tokenizer.json; vocab entries and merges are written one per line in id order. */
function writeTokenizerJson(sink: TextSink, vocab: ReadonlyArray<string>, merges: ReadonlyArray<readonly [string, string]>, added: readonly AddedToken[]): void {
  const addedText = added.length === 0 ? '[]' : '[\n' + added.map((a) => [
    '    {',
    `      "id": ${a.id},`,
    `      "content": ${j(a.content)},`,
    '      "single_word": false,',
    '      "lstrip": false,',
    '      "rstrip": false,',
    '      "normalized": false,',
    '      "special": true',
    '    }',
  ].join('\n')).join(',\n') + '\n  ]';
  sink([
    '{',
    '  "version": "1.0",',
    '  "truncation": null,',
    '  "padding": null,',
    `  "added_tokens": ${addedText},`,
    '  "normalizer": null,',
    '  "pre_tokenizer": {',
    '    "type": "ByteLevel",',
    '    "add_prefix_space": false,',
    '    "trim_offsets": true,',
    '    "use_regex": true',
    '  },',
    '  "post_processor": null,',
    '  "decoder": {',
    '    "type": "ByteLevel",',
    '    "add_prefix_space": true,',
    '    "trim_offsets": true,',
    '    "use_regex": true',
    '  },',
    '  "model": {',
    '    "type": "BPE",',
    '    "dropout": null,',
    '    "unk_token": null,',
    '    "continuing_subword_prefix": null,',
    '    "end_of_word_suffix": null,',
    '    "fuse_unk": false,',
    '    "byte_fallback": false,',
    '    "ignore_merges": false,',
    '    "vocab": ',
  ].join('\n'));
  if (vocab.length === 0) sink('{}');
  else {
    sink('{\n');
    emitLines(sink, vocab.length, (id) => `      ${j(vocab[id])}: ${id}`);
    sink('\n    }');
  }
  sink(',\n    "merges": ');
  if (merges.length === 0) sink('[]');
  else {
    sink('[\n');
    emitLines(sink, merges.length, (k) => `      [${j(merges[k]![0])}, ${j(merges[k]![1])}]`);
    sink('\n    ]');
  }
  sink('\n  }\n}\n');
}

/** The words of a prefix-free code over a..z with exactly `n` words (n ≥ 1). */
export function prefixFreeWords(n: number, stream: Stream): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const leaves: string[] = [''];
  let head = 0; // breadth-first: expand the oldest (shortest) leaf next
  while (leaves.length - head < n) {
    const need = n - (leaves.length - head) + 1; // children that would reach n exactly
    const k = Math.min(need, 2 + stream.below(25));
    const w = leaves[head++]!;
    for (let c = 0; c < k; c++) leaves.push(w + letters[c]!);
  }
  return leaves.slice(head);
}

function shuffle<T>(items: T[], stream: Stream): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const k = stream.below(i + 1);
    [items[i], items[k]] = [items[k]!, items[i]!];
  }
  return items;
}

/** A prefix-free byte-level tokenizer of exactly `vocab` ids (≥ 2). */
export function prefixFreeTokenizer(vocab: number, seed: number | bigint, sink: TextSink): void {
  if (!Number.isInteger(vocab) || vocab < 2) throw new RangeError(`prefix-free tokenizer needs vocab ≥ 2, got ${vocab}`);
  const stream = new Stream(seed, 'tokenizer.prefix-free');
  const words = shuffle(prefixFreeWords(vocab - 1, stream).map((w) => '\u0120' + w), stream);
  writeTokenizerJson(sink, words, [], [{ id: vocab - 1, content: '<s>' }]);
}

const NAMED_SPECIALS: Readonly<Record<number, string>> = {
  0: '<|startoftext|>', 1: '<|endoftext|>', 4: '<|return|>', 5: '<|constrain|>', 7: '<|channel|>',
  8: '<|start|>', 9: '<|end|>', 10: '<|message|>', 14: '<|call|>', 20: '<|endofprompt|>',
};

/** Number of special (added) tokens for a byte-level vocabulary of `vocab` ids. */
export function specialCount(vocab: number): number {
  if (vocab >= 201088) return vocab - 199998;
  return Math.max(1, Math.min(1090, Math.floor((vocab * 1090) / 201088)));
}

/** An o200k-shaped byte-level BPE tokenizer of exactly `vocab` ids (≥ 257). */
export function byteLevelBpeTokenizer(vocab: number, seed: number | bigint, sink: TextSink): void {
  if (!Number.isInteger(vocab) || vocab < 257) throw new RangeError(`byte-level BPE tokenizer needs vocab ≥ 257, got ${vocab}`);
  const base = vocab - specialCount(vocab);
  const tokens: string[] = BYTE_LEVEL_ORDER.map((b) => byteLevelChar(b));
  const lens: number[] = tokens.map(() => 1);
  const seen = new Set(tokens);
  const merges: Array<[string, string]> = [];
  const stream = new Stream(seed, 'tokenizer.bpe');
  while (tokens.length < base) {
    const n = tokens.length;
    const u = stream.unit(), v = stream.unit();
    const a = Math.floor(n * u * u), b = Math.floor(n * v * v * v); // favour early (short, frequent) tokens
    if (lens[a]! + lens[b]! > 16) continue;
    const s = tokens[a]! + tokens[b]!;
    if (seen.has(s)) continue;
    seen.add(s);
    tokens.push(s);
    lens.push(lens[a]! + lens[b]!);
    merges.push([tokens[a]!, tokens[b]!]);
  }
  const added: AddedToken[] = [];
  for (let id = base; id < vocab; id++) {
    added.push({ id, content: NAMED_SPECIALS[id - base] ?? `<|reserved_${id}|>` });
  }
  writeTokenizerJson(sink, tokens, merges, added);
}
