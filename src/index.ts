// The library API: convert a checkpoint, verify or rebuild a package, and the
// codecs for the Sera formats.
import { loadCrc32c } from './kernels/crc32c.js';
import { verifyPackage as verifySync, type VerifyOptions } from './verify.js';
import { rebuildPackage as rebuildSync, type RebuildResult } from './rebuild.js';

export { convert, type ConvertOptions, type ConvertResult } from './convert.js';
export type { Summary } from './format/summary.js';
export { renderSummary } from './format/summary.js';
export { decodeManifest, encodeManifest, type Manifest, type ManifestEntry } from './format/manifest.js';
export { checkArrayFile, writeArrayFile, decodeHeader, type ArrayHeader, type ArrayRecord } from './format/array-file.js';
export { openCheckpoint } from './io/shards.js';
export { openSafetensors, loadSafetensorsReader } from './io/safetensors.js';
export { SeraError, UsageError, IoError, SafetensorsError, ConfigError, ModelError, TokenizerError, StageError, FormatError, NotFoundError } from './errors.js';

/** Checks every array, the manifest and sera_state.json of a package; returns one line per problem. */
export async function verifyPackage(dir: string, opts?: VerifyOptions): Promise<string[]> {
  await loadCrc32c();
  return verifySync(dir, opts);
}

/** Regenerates sera_manifest.bin and the artefact records from arrays/. */
export async function rebuildPackage(dir: string): Promise<RebuildResult> {
  await loadCrc32c();
  return rebuildSync(dir);
}
