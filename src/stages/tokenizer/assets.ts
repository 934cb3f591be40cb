// Tokenizer discovery (ALGORITHMS.md §7.1): per search root, tokenizer.json
// then tokenizer.model; resolved, deduplicated candidates tried in order, the
// first successful load wins, failures collected as "<path>: <message>".
import * as nodePath from 'node:path';
import { TokenizerError } from '../../errors.js';
import { exists, readFile } from '../../io/fs.js';
import { resolvePath, TOKENIZER_NAMES } from '../../io/paths.js';
import { loadSentencePieceModel } from './sentencepiece.js';
import { loadTokenizerJson } from './tokenizer-json.js';
import type { TokenizerAssets } from './types.js';

export type { TokenizerAssets, TokenizerProvenance, TokenizerFormat } from './types.js';


/** The reference's FileNotFoundError text (used verbatim in strict mode). */
export function unableToLoadMessage(errors: readonly string[]): string {
  return `Unable to load tokenizer assets (${errors.length ? errors.join(', ') : 'no tokenizer assets found'})`;
}

/** Thrown when tokenizer files exist but none of them loads. */
export class TokenizerLoadError extends TokenizerError {
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(
      unableToLoadMessage(errors),
      'fix or remove the broken tokenizer file (tokenizer.json from Hugging Face, or a SentencePiece tokenizer.model)',
    );
    this.errors = errors;
  }
}

/** PurePosixPath(root) / name for a relative root: '.' and empty parts dropped, '..' kept. */
function joinRelative(root: string, name: string): string {
  const parts = `${root}/${name}`.split('/').filter((s) => s !== '' && s !== '.');
  return parts.join('/');
}

/** The candidate files that exist, in the order the reference tries them. */
export function tokenizerCandidates(searchRoots: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const root of searchRoots) {
    for (const name of TOKENIZER_NAMES) {
      // The reference resolves only when the root is absolute.
      const candidate = nodePath.isAbsolute(root) ? resolvePath(nodePath.join(root, name)) : joinRelative(root, name);
      if (seen.has(candidate)) continue;
      seen.add(candidate);
      if (exists(candidate)) out.push(candidate);
    }
  }
  return out;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    // IoError messages already name the path; keep only the cause for "<path>: <cause>".
    const m = /^cannot \w+ .*?: (.*)$/.exec(err.message);
    return m && 'path' in err ? m[1]! : err.message;
  }
  return String(err);
}

/** Loads one candidate file by its suffix. */
export function loadTokenizerFile(path: string): TokenizerAssets {
  const suffix = nodePath.extname(path).toLowerCase();
  if (suffix !== '.json' && suffix !== '.model') throw new Error(`Unsupported tokenizer asset: ${path}`);
  const bytes = readFile(path);
  return suffix === '.json' ? loadTokenizerJson(path, bytes) : loadSentencePieceModel(path, bytes);
}

/**
 * Finds and loads the tokenizer. Returns null when no tokenizer file exists in
 * any root (the caller decides: the design spec makes the tokenizer optional,
 * the reference raises `unableToLoadMessage([])`); throws TokenizerLoadError
 * when files exist but none loads.
 */
export function loadTokenizerAssets(searchRoots: readonly string[]): TokenizerAssets | null {
  const candidates = tokenizerCandidates(searchRoots);
  if (candidates.length === 0) return null;
  const errors: string[] = [];
  for (const candidate of candidates) {
    try {
      return loadTokenizerFile(candidate);
    } catch (err) {
      errors.push(`${candidate}: ${errorText(err)}`);
    }
  }
  throw new TokenizerLoadError(errors);
}
