// Which repository files a conversion needs: the converter's own discovery
// (ALGORITHMS.md §3, §7.1) run over the remote file list, so the downloaded
// subset converts exactly like a full clone. For gpt-oss repositories (root
// config.json and a sharded HF-layout checkpoint, plus original/ with a single
// model.safetensors) that is the root config.json, original/model.safetensors
// and the root tokenizer.json: one copy of the weights, not two.
import { posix } from 'node:path';
import { unsafeShardName } from '../io/shards.js';
import { searchRootNames, TOKENIZER_NAMES } from '../io/paths.js';
import { HubError } from './errors.js';

export interface RemoteFile {
  path: string;
  size: number;
  /** Content id: the LFS sha256, the xet hash, or the git blob sha1. */
  etag: string;
  kind: 'lfs' | 'xet' | 'git';
}

export interface Selection {
  config: string;
  /** model.safetensors, or the index (its shards are added after reading it). */
  weights: string;
  isIndex: boolean;
  tokenizers: string[];
}

/** The repository folders discovery would search (io/paths.ts searchRootNames), as normalized relative paths. */
export function searchRoots(has: (p: string) => boolean, originalSubdir: string | null): string[] {
  if (originalSubdir !== null) {
    if (originalSubdir.startsWith('/')) return ['']; // a local folder: nothing to download for it
    if (posix.normalize(originalSubdir).split('/').includes('..')) {
      throw new HubError(`--original-subdir ${originalSubdir} leaves the repository`, 'give a folder inside the repository, e.g. original');
    }
  }
  const roots: string[] = [];
  for (const r of searchRootNames(originalSubdir, has)) {
    const n = posix.normalize(r).replace(/\/+$/, '');
    const rel = n === '.' ? '' : n;
    if (!roots.includes(rel)) roots.push(rel);
  }
  return roots;
}

export function selectFiles(files: ReadonlyMap<string, RemoteFile>, originalSubdir: string | null, what: string): Selection {
  const has = (p: string) => files.has(p);
  const roots = searchRoots(has, originalSubdir);
  const at = (root: string, name: string) => (root ? `${root}/${name}` : name);
  const probe = (name: string) => {
    for (const r of roots) if (has(at(r, name))) return at(r, name);
    return null;
  };
  const where = roots.map((r) => r || '(root)').join(', ');
  const config = probe('config.json');
  if (!config) throw new HubError(`${what} has no config.json (searched ${where})`, 'is this a transformers model repository? sera-transfer needs config.json and safetensors weights');
  const single = probe('model.safetensors');
  const index = single ? null : probe('model.safetensors.index.json');
  const weights = single ?? index;
  if (!weights) {
    throw new HubError(`${what} has no model.safetensors or model.safetensors.index.json (searched ${where})`,
      'sera-transfer converts safetensors checkpoints; repositories with only .bin/.pt weights are not supported');
  }
  const tokenizers: string[] = [];
  for (const r of roots) for (const n of TOKENIZER_NAMES) if (has(at(r, n)) && !tokenizers.includes(at(r, n))) tokenizers.push(at(r, n));
  return { config, weights, isIndex: index !== null, tokenizers };
}

/** Shard paths an index names (relative to the repository), checked against the file list. */
export function shardsOfIndex(indexPath: string, text: string, files: ReadonlyMap<string, RemoteFile>, what: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new HubError(`${what}: ${indexPath} is not valid JSON (${(e as Error).message})`, 'the repository holds a broken shard index');
  }
  const map = (data as { weight_map?: unknown })?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    throw new HubError(`${what}: ${indexPath} has no "weight_map" object`, 'the repository holds a broken shard index');
  }
  const dir = posix.dirname(indexPath);
  const out: string[] = [];
  for (const v of Object.values(map as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new HubError(`${what}: ${indexPath} maps a tensor to a non-string shard name`);
    const bad = unsafeShardName(v);
    if (bad) throw new HubError(`${what}: ${indexPath} names shard '${v}', which is refused: ${bad}`);
    const p = dir === '.' ? v : `${dir}/${v}`;
    if (!out.includes(p)) out.push(p);
  }
  const missing = out.filter((p) => !files.has(p));
  if (missing.length) throw new HubError(`${what}: ${indexPath} names shard(s) the repository does not have: ${missing.join(', ')}`);
  return out;
}
