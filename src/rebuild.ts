// Rebuild: regenerate sera_manifest.bin (and the artefact records and manifest
// digest in sera_state.json) from the files in arrays/ and the inputs the state
// recorded. On an untouched package the bytes come out identical.
import { join } from 'node:path';
import { exists, isDirectory, listDir, readFile, rename, writeFile } from './io/fs.js';
import { checkArrayFile } from './format/array-file.js';
import { parseJsonBytes } from './format/json-parse.js';
import { dumps } from './format/pyjson.js';
import { dict, int, type PyDict, type PyValue } from './format/pyvalue.js';
import { sha256, toHexDigest } from './format/hash.js';
import { encodeManifest, decodeManifest, isTableName, byTableNumber } from './format/manifest.js';
import { buildManifest, type ArrayDigestInfo } from './format/manifest-build.js';
import { FormatError } from './errors.js';
import { linearSalts } from './stages/collapse.js';
import { trustGate } from './pipeline/metadata.js';

function get(d: PyValue | undefined, ...path: string[]): PyValue | undefined {
  let v = d;
  for (const k of path) {
    if (!(v instanceof Map)) return undefined;
    v = v.get(k);
  }
  return v;
}

function num(v: PyValue | undefined, what: string, file: string): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  throw new FormatError(`${what} is missing or not a number`, file, 'the state file is not from a sera-transfer conversion, or was edited');
}

function atomicWrite(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.sera-tmp-${process.pid}`;
  writeFile(tmp, data);
  rename(tmp, path);
}

export interface RebuildResult {
  manifestPath: string;
  entries: number;
  changed: boolean;
}

export function rebuildPackage(dir: string): RebuildResult {
  const statePath = join(dir, 'sera_state.json');
  if (!exists(statePath)) throw new FormatError('sera_state.json is missing', dir, 'rebuild needs the state file a conversion wrote');
  const stateBytes = readFile(statePath);
  let state;
  try {
    state = parseJsonBytes(stateBytes);
  } catch (e) {
    throw new FormatError(`cannot parse the state: ${(e as Error).message}`, statePath, 'sera_state.json is damaged; re-run the conversion');
  }
  if (!(state instanceof Map)) throw new FormatError('not a JSON object', statePath);
  const mc = get(state, 'model_config');
  const meta = get(state, 'metadata');
  const arraysDir = join(dir, 'arrays');
  if (!isDirectory(arraysDir)) throw new FormatError('arrays/ folder is missing', dir);

  // every array file must be valid on its own before it goes into a manifest
  // buildManifest orders the named arrays itself and the state is dumped with sorted keys; only the
  // T_<n> tables go into the manifest in the order given, which is their write order: by number
  const files = listDir(arraysDir).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4));
  const names = [...files.filter((n) => !isTableName(n)), ...files.filter(isTableName).sort(byTableNumber)];
  const digests = new Map<string, ArrayDigestInfo>();
  const checks = new Map<string, ReturnType<typeof checkArrayFile>>();
  for (const n of names) {
    const c = checkArrayFile(join(arraysDir, `${n}.bin`));
    if (c.problems.length) throw new FormatError(`arrays/${n}.bin is not a valid array file: ${c.problems.join('; ')}`, dir, 'rewrite the array with a correct header before rebuilding');
    checks.set(n, c);
    digests.set(n, { bytes: c.payloadBytes, sha256: c.sha256! });
  }
  // the salts hash the payloads with a prefix, which the check's digest cannot give: these two files are read again
  // (checkArrayFile takes a path); a valid file ends with its payload whatever its header layout
  const payload = (n: string): Uint8Array | undefined => {
    const c = checks.get(n);
    if (!c) return undefined;
    const bytes = readFile(join(arraysDir, `${n}.bin`));
    return bytes.subarray(bytes.length - c.payloadBytes);
  };
  const mphf = payload('linear_mphf');
  const keys = payload('linear_keys');
  const linear = linearSalts(mphf ?? new Uint8Array(0), keys ?? new Uint8Array(0));
  const salts = { mphf: mphf ? linear.mphf : undefined, key: keys ? linear.key : undefined, trustGate: trustGate().salt };
  const manifestPath = join(dir, 'sera_manifest.bin');
  const before = exists(manifestPath) ? readFile(manifestPath) : null;
  let abi = 0;
  if (before) {
    try { abi = Number(decodeManifest(before).sections.header!.abi_flags); } catch { /* rebuilt from the state below */ }
  }
  const det = get(meta, 'determinism', 'mxfp4_decoder');
  const assumeFma = typeof get(det, 'assume_fma') === 'boolean' ? get(det, 'assume_fma') === true : (abi & 1) !== 0;
  const assumeFtz = typeof get(det, 'assume_ftz') === 'boolean' ? get(det, 'assume_ftz') === true : (abi & 2) !== 0;
  const bridge = get(meta, 'bridge', 'enabled');
  const vocab = num(get(mc, 'vocab_size'), 'model_config.vocab_size', statePath);
  const manifest = buildManifest({
    arrays: digests,
    dModel: num(get(mc, 'd_model'), 'model_config.d_model', statePath),
    nHeads: num(get(mc, 'n_heads'), 'model_config.n_heads', statePath),
    headDim: num(get(mc, 'head_dim'), 'model_config.head_dim', statePath),
    tau: num(get(mc, 'tau'), 'model_config.tau', statePath),
    r: num(get(meta, 'overlays', 'rank'), 'metadata.overlays.rank', statePath),
    rv: num(get(meta, 'overlays', 'rank_value'), 'metadata.overlays.rank_value', statePath),
    vocabSize: vocab || 16,
    assumeFma, assumeFtz, salts,
    bridgeState: typeof bridge === 'boolean' ? bridge : undefined,
  });
  const bytes = encodeManifest(manifest);
  const changed = !before || before.length !== bytes.length || before.some((b, i) => b !== bytes[i]);
  if (changed) atomicWrite(manifestPath, bytes);

  // artefact records, manifest digest and linear salts in the state
  const oldArtefacts = get(state, 'artefacts');
  const artefacts: PyDict = new Map();
  for (const n of names) {
    const c = checks.get(n)!;
    const prev = oldArtefacts instanceof Map ? oldArtefacts.get(n) : undefined;
    const path = prev instanceof Map && typeof prev.get('path') === 'string' ? (prev.get('path') as string) : join(arraysDir, `${n}.bin`);
    artefacts.set(n, dict({ path, dtype: c.dtype!, shape: c.shape.map((d) => int(d)), bytes: int(c.payloadBytes), sha256: toHexDigest(c.sha256!) }));
  }
  state.set('artefacts', artefacts);
  const digestHex = toHexDigest(sha256(bytes));
  for (const d of [get(meta, 'determinism'), get(state, 'sera_snapshot', 'metadata', 'determinism')]) {
    if (d instanceof Map) {
      d.set('manifest_path', 'sera_manifest.bin');
      d.set('manifest_digest', digestHex);
    }
  }
  const linSalts = get(meta, 'linear', 'salts');
  if (linSalts instanceof Map) {
    if (salts.mphf) linSalts.set('mphf', toHexDigest(salts.mphf));
    if (salts.key) linSalts.set('key', toHexDigest(salts.key));
  }
  const text = dumps(state) + '\n';
  const oldText = new TextDecoder().decode(stateBytes);
  if (text !== oldText) atomicWrite(statePath, text);
  return { manifestPath, entries: manifest.entries.length, changed: changed || text !== oldText };
}
