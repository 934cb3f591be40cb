// The tokenizer stage (the reference's `tokenizer_arrays`, ALGORITHMS.md
// §7.4–7.9): size check, seeds, Sardinas–Patterson, the FST, the T_k tables,
// the per-length MPH metadata and the `metadata.tokenizer` dict (FORMAT.md §5.5).
//
// Where the reference succeeds the output is identical. Two departures apply
// only where the reference aborts (GAPS.md §5.7), unless `strict` is set:
//   * a vocabulary failing Sardinas–Patterson is kept as an unsupported
//     ("wrapper") tokenizer: no `tokenizer_fst` array, a warning, and
//     `sardinas_patterson = {status: "ambiguous", digest, levels: [], witness}`
//     plus `mode: "wrapper"` in the metadata; T_k and the rest are unchanged;
//   * a per-length MPH whose seed search runs out (the reference's cap, around
//     40k keys) grows its table by 5% and rebuilds (`buildMph` maxRetries),
//     and records `retries` in that length's entry.
import { TokenizerError } from '../../errors.js';
import { first64 } from '../../format/hash.js';
import { dictOf, type PyDict, type PyValue } from '../../format/pyvalue.js';
import { loadMph } from '../../kernels/mph.js';
import { bytesRepr } from '../../model/pybuiltins.js';
import { buildMph } from '../mphf.js';
import { fstText } from './fst.js';
import { SP_EPSILON_MESSAGE, sardinasPatterson, spDigest, type SpOutcome } from './sardinas-patterson.js';
import { lengthTable, tokenizerSeeds } from './tables.js';
import type { TokenizerAssets } from './types.js';
import { buildVocabIndex } from './vocab-index.js';

export interface TokenizerStageOptions {
  /** cfg.vocab_size; 0, null or undefined means "take the tokenizer's size" (Python `or`). */
  vocabSize?: number | bigint | null;
  /** Reference behaviour: abort on Sardinas–Patterson failure and on MPH seed exhaustion. */
  strict?: boolean;
  /** Table growths allowed per length when not strict (default 64). */
  mphMaxRetries?: number;
  /** The reference's `max_len` argument (default 4): at least this many T_k tables. */
  minTables?: number;
}

export interface TokenizerArray {
  name: string;
  /** The u8 payload. */
  data: Uint8Array;
}

export interface TokenizerStageResult {
  /** `tokenizer_fst` (when supported), then T_1..T_n, in write order. */
  arrays: TokenizerArray[];
  /** `metadata.tokenizer`. */
  metadata: PyDict;
  maxPieceLength: number;
  /** n = max(minTables, maxPieceLength): the number of T_k tables. */
  tableCount: number;
  pieces: Uint8Array[];
  ids: number[];
  globalSeed: bigint;
  /** False when the vocabulary failed Sardinas–Patterson (wrapper mode, no FST). */
  supported: boolean;
  /** Per length k (1-based index k-1): MPH rebuilds after seed exhaustion. */
  mphRetries: number[];
  /** Messages for the log (fallbacks taken). */
  warnings: string[];
}

/** `sardinas_patterson`; witnessTokenId is the token the ambiguity witness is (unused when sp is ok). */
function spMetadata(sp: SpOutcome, witnessTokenId: number): PyDict {
  if (sp.status === 'ok') {
    return dictOf([
      ['digest', sp.digest],
      ['levels', sp.levels.map((l) => dictOf([['level', BigInt(l.level)], ['remainders', l.remainders]]))],
    ]);
  }
  // The design spec's sp_cert_digest = sha256(minimal witness set), encoded as
  // the reference encodes a trace: the single record (level, [witness]).
  return dictOf([
    ['status', 'ambiguous'],
    ['digest', spDigest([{ level: sp.level, remainders: [sp.witness] }])],
    ['levels', []],
    ['witness', dictOf([
      ['level', BigInt(sp.level)],
      ['remainder', sp.witness],
      ['token_id', BigInt(witnessTokenId)],
    ])],
  ]);
}

/**
 * Runs the stage. Needs the mph kernel: `await loadMph()` once before (or use
 * {@link runTokenizerStage}). Throws TokenizerError for the reference's
 * ValueErrors (empty vocabulary, size mismatch, strict SP failure) and
 * MphError (a StageError) for strict MPH exhaustion.
 */
export function tokenizerArrays(assets: TokenizerAssets, opts: TokenizerStageOptions = {}): TokenizerStageResult {
  const strict = opts.strict ?? false;
  const { pieces, ids } = assets;
  // Both loaders sort by id (TokenizerAssets' contract), which is the order the
  // reference sorts into; text_pieces rely on it too, so anything else is a bug.
  if (ids.some((id, i) => i > 0 && id < ids[i - 1]!)) throw new Error('tokenizerArrays: assets.ids must be ascending');
  if (pieces.length === 0) throw new TokenizerError('Tokenizer assets are empty', 'the tokenizer file defines no tokens');

  const configured = opts.vocabSize === undefined || opts.vocabSize === null ? 0n : BigInt(opts.vocabSize);
  const expected = configured !== 0n ? configured : BigInt(pieces.length);
  if (expected !== BigInt(pieces.length)) {
    throw new TokenizerError(
      `Tokenizer vocabulary size mismatch: config expects ${expected}, but tokenizer provides ${pieces.length} entries`,
      `make config.json's vocab_size match the tokenizer (${assets.provenance.path}), or use the tokenizer that belongs to this checkpoint`,
    );
  }

  const { vocabDigest, globalSeed } = tokenizerSeeds(pieces, ids);
  let maxPieceLength = 0;
  for (const p of pieces) if (p.length > maxPieceLength) maxPieceLength = p.length;
  const tableCount = Math.max(opts.minTables ?? 4, maxPieceLength);

  const index = buildVocabIndex(pieces);
  const sp = sardinasPatterson(index);
  const warnings: string[] = [];
  const supported = sp.status === 'ok';
  let witnessTokenId = -1;
  if (sp.status === 'ambiguous') {
    if (strict) {
      throw new TokenizerError(
        SP_EPSILON_MESSAGE,
        'the vocabulary is not uniquely decodable, so no byte-level FST can be built; run without --strict-tokenizer to convert it as an unsupported (wrapper) tokenizer',
      );
    }
    witnessTokenId = ids[index.firstPos[sp.witnessPiece]!]!; // the witness piece's first position in id order
    warnings.push(
      `${SP_EPSILON_MESSAGE}: at level ${sp.level} the dangling suffix ${bytesRepr(sp.witness)} is token ${witnessTokenId} itself; ` +
        'the tokenizer is marked unsupported (wrapper mode) and tokenizer_fst is not written',
    );
  }

  const arrays: TokenizerArray[] = [];
  if (supported) arrays.push({ name: 'tokenizer_fst', data: fstText(pieces, ids, index) });

  const tableSalts: [string, PyValue][] = [];
  const mph: [string, PyValue][] = [];
  const mphRetries: number[] = [];
  const byLength = new Map<number, Uint8Array[]>();
  for (const p of pieces) {
    if (p.length === 0) continue; // length 0 has no table
    let group = byLength.get(p.length);
    if (!group) byLength.set(p.length, (group = []));
    group.push(p);
  }
  for (let k = 1; k <= tableCount; k++) {
    const table = lengthTable(globalSeed, k);
    tableSalts.push([String(k), table.seed]);
    arrays.push({ name: `T_${k}`, data: table.data });

    const group = byLength.get(k);
    if (!group) {
      mph.push([String(k), dictOf([['table_size', 0n], ['seeds', []], ['key_hashes', []]])]);
      mphRetries.push(0);
      continue;
    }
    const keys = new BigUint64Array(group.length);
    for (let i = 0; i < group.length; i++) keys[i] = first64(group[i]!);
    const built = buildMph(keys, { maxRetries: strict ? 0 : (opts.mphMaxRetries ?? 64) });
    mphRetries.push(built.retries);
    const entry: [string, PyValue][] = [
      ['table_size', BigInt(built.seeds.length)],
      ['seeds', Array.from(built.seeds, (s) => BigInt(s))],
      ['key_hashes', Array.from(built.ordered)],
    ];
    if (built.retries > 0) {
      // Extension: the reference has no recovery here, so this key exists only when it was used.
      entry.push(['retries', BigInt(built.retries)]);
      warnings.push(
        `tokenizer MPH for the ${group.length} pieces of length ${k}: seed search exhausted; grew the table ${built.retries} time(s) to ${built.seeds.length} buckets`,
      );
    }
    mph.push([String(k), dictOf(entry)]);
  }

  const prov = assets.provenance;
  const metadata = dictOf([
    ['kind', assets.kind],
    ['pieces', pieces.map((p, i): PyValue => [p, BigInt(ids[i]!)])],
    ['text_pieces', assets.textPieces.map((t, i): PyValue => [t, BigInt(ids[i]!)])],
    ['max_piece_length', BigInt(maxPieceLength)],
    ['seed', globalSeed],
    ['salts', dictOf([['global_seed', globalSeed], ['tables', dictOf(tableSalts)]])],
    ['vocab_digest', vocabDigest],
    ['mph', dictOf(mph)],
    ['provenance', dictOf([['path', prov.path], ['sha256', prov.sha256], ['format', prov.format]])],
    ['config', assets.config],
    ['sardinas_patterson', spMetadata(sp, witnessTokenId)],
  ]);
  // Extension key, present only in the fallback: consumers must not expect an FST.
  if (!supported) metadata.set('mode', 'wrapper');

  return {
    arrays,
    metadata,
    maxPieceLength,
    tableCount,
    pieces,
    ids,
    globalSeed,
    supported,
    mphRetries,
    warnings,
  };
}

/** {@link tokenizerArrays} after loading the mph kernel. */
export async function runTokenizerStage(assets: TokenizerAssets, opts: TokenizerStageOptions = {}): Promise<TokenizerStageResult> {
  await loadMph();
  return tokenizerArrays(assets, opts);
}
