// The tokenizer stage: discovery and loading (assets), then arrays + metadata.
export { loadTokenizerAssets, loadTokenizerFile, tokenizerCandidates, unableToLoadMessage, TokenizerLoadError } from './assets.js';
export type { TokenizerAssets, TokenizerProvenance, TokenizerFormat } from './types.js';
export { tokenizerArrays, runTokenizerStage } from './arrays.js';
export type { TokenizerStageOptions, TokenizerStageResult, TokenizerArray } from './arrays.js';
export { sardinasPatterson, spDigest, SP_EPSILON_MESSAGE } from './sardinas-patterson.js';
export type { SpOutcome, SpLevel } from './sardinas-patterson.js';
export { decodeByteLevel, encodeUtf8Strict } from './byte-level.js';
