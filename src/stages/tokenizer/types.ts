// The loaded tokenizer vocabulary, shared by the loaders and the arrays stage.
import type { PyDict } from '../../format/pyvalue.js';

export type TokenizerFormat = 'tokenizer.json' | 'tokenizer.model';

export interface TokenizerProvenance {
  /** The candidate path as the reference prints it (resolved when its root was absolute). */
  path: string;
  /** Hex SHA-256 of the file bytes. */
  sha256: string;
  format: TokenizerFormat;
}

export interface TokenizerAssets {
  /** "BPE", "SENTENCEPIECE" or the upper-cased tokenizer.json model type. */
  kind: string;
  /** Token bytes in ascending id order. */
  pieces: Uint8Array[];
  /** The original token strings, same order. */
  textPieces: string[];
  /**
   * The ids, ascending. Normally 0..N-1; tokenizer.json can also carry
   * negative ids (the reference's contiguity check ignores them), which the
   * arrays stage then rejects as the reference does.
   */
  ids: number[];
  /** The reference's `config` dict, in its insertion order. */
  config: PyDict;
  provenance: TokenizerProvenance;
}
