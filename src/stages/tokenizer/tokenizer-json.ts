// tokenizer.json loading (ALGORITHMS.md §7.2), with the reference's coercions:
// vocab in file order, int(id) with non-convertible ids skipped, added_tokens
// overwriting, the byte-level decoder for BPE and UTF-8 otherwise.
import { parseJsonBytes } from '../../format/json-parse.js';
import { sha256Hex } from '../../format/hash.js';
import { dictOf, type PyDict, type PyValue } from '../../format/pyvalue.js';
import { decodeByteLevel, encodeUtf8Strict } from './byte-level.js';
import { pyInt, pyStr, PyConversionError } from '../../model/pybuiltins.js';
import type { TokenizerAssets } from './types.js';

const isDict = (v: PyValue | undefined): v is PyDict => v instanceof Map;

/** int(id) as the loader applies it: null where Python raises TypeError or ValueError
 * (the reference skips such ids); an OverflowError (±inf) escapes, as in the reference. */
function idOrNull(v: PyValue): bigint | null {
  try {
    return pyInt(v);
  } catch (e) {
    if (e instanceof PyConversionError && e.pyType !== 'OverflowError') return null;
    throw e;
  }
}

/** json.loads(read_text()), with the loader's own message for invalid UTF-8. */
function parsePayload(bytes: Uint8Array): PyValue {
  try {
    return parseJsonBytes(bytes);
  } catch (e) {
    if (e instanceof TypeError) throw new Error("'utf-8' codec can't decode the file: it is not valid UTF-8");
    throw e;
  }
}

/**
 * Loads a tokenizer.json given its bytes. Throws plain Errors carrying the
 * reference's messages; discovery turns them into "<path>: <message>".
 */
export function loadTokenizerJson(path: string, bytes: Uint8Array): TokenizerAssets {
  const payload = parsePayload(bytes);
  if (!isDict(payload)) throw new Error('tokenizer.json payload must be a mapping');
  const model = payload.get('model');
  if (!isDict(model)) throw new Error('tokenizer.json missing model description');
  const modelType = pyStr(model.has('type') ? model.get('type')! : '').toLowerCase() || 'unknown';
  const vocab = model.get('vocab');
  if (!isDict(vocab)) throw new Error('tokenizer.json missing vocabulary');

  const decode = modelType === 'bpe' ? decodeByteLevel : encodeUtf8Strict;
  // bigint keys: ids are Python ints (a huge negative id must not collide with another).
  const bytesById = new Map<bigint, Uint8Array>();
  const textById = new Map<bigint, string>();
  for (const [token, rawId] of vocab) {
    const id = idOrNull(rawId);
    if (id === null) continue;
    bytesById.set(id, decode(token));
    textById.set(id, token);
  }
  const added = payload.has('added_tokens') ? payload.get('added_tokens')! : [];
  if (Array.isArray(added)) {
    for (const entry of added) {
      if (!isDict(entry)) continue;
      const token = entry.get('content');
      if (typeof token !== 'string') continue;
      const id = idOrNull(entry.has('id') ? entry.get('id')! : null);
      if (id === null) continue;
      bytesById.set(id, decode(token));
      textById.set(id, token);
    }
  }
  if (bytesById.size === 0) throw new Error('tokenizer.json does not define any tokens');

  const ids = [...bytesById.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const maxId = ids[ids.length - 1]!;
  // Every id in 0..max must be present; negative ids are outside that range and pass.
  let nonNegative = 0;
  for (const id of ids) if (id >= 0n) nonNegative++;
  if (maxId >= 0n && BigInt(nonNegative) !== maxId + 1n) {
    throw new Error('tokenizer vocabulary ids must be contiguous starting at zero');
  }

  const kind = modelType.toUpperCase();
  const pieces = ids.map((id) => bytesById.get(id)!);
  return {
    kind,
    pieces,
    textPieces: ids.map((id) => textById.get(id)!),
    ids: ids.map((id) => Number(id)),
    config: dictOf([
      ['type', kind],
      ['added_tokens', BigInt(textById.size - vocab.size)],
      ['vocab_size', BigInt(pieces.length)],
    ]),
    provenance: { path, sha256: sha256Hex(bytes), format: 'tokenizer.json' },
  };
}
