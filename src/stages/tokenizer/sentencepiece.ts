// tokenizer.model loading (ALGORITHMS.md §7.3) without the sentencepiece
// library: the pieces are ModelProto field 1, each piece string its field 1.
// The checks sentencepiece's Load() applies before it will hand out pieces are
// repeated here, so a model the reference rejects is rejected here too.
import { sha256Hex } from '../../format/hash.js';
import { dictOf } from '../../format/pyvalue.js';
import { ProtoReader, WireType, type Field } from './protobuf.js';
import type { TokenizerAssets } from './types.js';

// SentencePiece.Type (sentencepiece_model.proto); unknown enum values read as the
// default. CONTROL (3) is only "not normal", so it needs no name here.
const NORMAL = 1, UNKNOWN = 2, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
// TrainerSpec.model_type
const UNIGRAM = 1;

interface RawPiece {
  piece: Uint8Array;
  type: number;
}

interface RawModel {
  pieces: RawPiece[];
  modelType: number;
  byteFallback: boolean;
}

/** Reads every top-level field, rejecting an unmatched end-group like protobuf's parser. */
function fields(buf: Uint8Array): Field[] {
  const r = new ProtoReader(buf);
  const out: Field[] = [];
  while (!r.done) {
    const f = r.next();
    if (f.wire === WireType.EndGroup) throw new Error('unexpected end group');
    out.push(f);
  }
  return out;
}

function parseModel(buf: Uint8Array): RawModel {
  const model: RawModel = { pieces: [], modelType: UNIGRAM, byteFallback: false };
  for (const f of fields(buf)) {
    if (f.field === 1 && f.wire === WireType.Bytes) {
      const p: RawPiece = { piece: new Uint8Array(0), type: NORMAL };
      for (const g of fields(f.bytes)) {
        if (g.field === 1 && g.wire === WireType.Bytes) p.piece = g.bytes; // last occurrence wins
        else if (g.field === 3 && g.wire === WireType.Varint) {
          const t = Number(BigInt.asIntN(32, g.varint));
          if (t >= NORMAL && t <= BYTE) p.type = t;
        }
      }
      model.pieces.push(p);
    } else if (f.field === 2 && f.wire === WireType.Bytes) {
      // TrainerSpec: repeated occurrences merge, later scalars win.
      for (const g of fields(f.bytes)) {
        if (g.field === 3 && g.wire === WireType.Varint) {
          const t = Number(BigInt.asIntN(32, g.varint));
          if (t >= 1 && t <= 4) model.modelType = t;
        } else if (g.field === 35 && g.wire === WireType.Varint) model.byteFallback = g.varint !== 0n;
      }
    }
  }
  return model;
}

const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

/** sentencepiece's ModelInterface::InitializePieces (and the unigram trie's non-empty check). */
function validate(model: RawModel, text: string[]): void {
  const normal = new Set<string>();
  const reserved = new Set<string>();
  let unk = -1;
  const bytesFound = new Set<number>();
  model.pieces.forEach((p, i) => {
    const s = text[i]!;
    if (s === '') throw new Error('Internal: piece must not be empty.');
    const isNormal = p.type === NORMAL || p.type === USER_DEFINED || p.type === UNUSED;
    const group = isNormal ? normal : reserved;
    if (group.has(s)) throw new Error(`Internal: ${s} is already defined.`);
    group.add(s);
    if (p.type === UNKNOWN) {
      if (unk >= 0) throw new Error('Internal: unk is already defined.');
      unk = i;
    }
    if (p.type === BYTE) {
      if (!model.byteFallback) throw new Error(`Internal: byte piece ${s} is found although \`byte_fallback\` is false.`);
      if (!BYTE_PIECE.test(s)) throw new Error(`Internal: byte piece ${s} is invalid.`);
      bytesFound.add(parseInt(s.slice(3, 5), 16));
    }
  });
  if (unk === -1) throw new Error('Internal: unk is not defined.');
  if (model.byteFallback && bytesFound.size !== 256) {
    throw new Error('Internal: there are not 256 byte pieces although `byte_fallback` is true.');
  }
  if (model.modelType === UNIGRAM && normal.size === 0) throw new Error('Internal: no pieces are loaded.');
}

/** Loads a SentencePiece tokenizer.model given its bytes. */
export function loadSentencePieceModel(path: string, bytes: Uint8Array): TokenizerAssets {
  let model: RawModel;
  try {
    model = parseModel(bytes);
  } catch (err) {
    throw new Error(`Internal: could not parse ModelProto from ${path} (${(err as Error).message})`);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const text = model.pieces.map((p, i) => {
    try {
      return decoder.decode(p.piece);
    } catch {
      throw new Error(`piece ${i} is not valid UTF-8`);
    }
  });
  validate(model, text);
  // piece.encode('utf-8') of the decoded string gives back the stored bytes.
  const pieces = model.pieces.map((p) => p.piece.slice());
  return {
    kind: 'SENTENCEPIECE',
    pieces,
    textPieces: text,
    ids: pieces.map((_, i) => i),
    config: dictOf([
      ['type', 'SENTENCEPIECE'],
      ['vocab_size', BigInt(pieces.length)],
    ]),
    provenance: { path, sha256: sha256Hex(bytes), format: 'tokenizer.model' },
  };
}
