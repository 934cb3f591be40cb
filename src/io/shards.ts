// One tensor namespace over a single safetensors file or a sharded checkpoint
// (`model.safetensors.index.json` and the shards it names).
//
// Name order (it drives role assignment later):
//   * single file: the header's JSON key order;
//   * index: the order of the index's weight_map.
//
// Every shard is validated with the strict reader, and the index against the
// shards: missing shard files (all listed), tensors the index names but its shard
// lacks, tensors a shard holds that the index does not name, and tensors held by
// two shards are errors. Shard names that could leave the checkpoint folder
// (`..`, absolute paths, drive letters, URLs, backslashes) are refused before any
// file is touched. Symlinks are followed (HF cache snapshots link into blobs/).
import * as nodePath from 'node:path';
import { SafetensorsError } from '../errors.js';
import { isFile, readFile } from './fs.js';
import { parseJsonStrict, JsonParseError, type JsonOddity } from '../format/json-parse.js';
import type { PyValue } from '../format/pyvalue.js';
import { SafetensorsFile, type TensorInfo } from './safetensors.js';

/** The tensors of one or more safetensors files under one namespace. */
export class TensorStore {
  /** What was opened: the .safetensors file, the index, or the first shard. */
  readonly source: string;
  /** The open files, in shard order. */
  readonly files: readonly SafetensorsFile[];
  /** The index's "metadata" object (null for a single file or a shard set). */
  readonly indexMetadata: Map<string, PyValue> | null;
  #order: TensorInfo[];
  #byName: Map<string, TensorInfo>;
  #byFile: Map<string, SafetensorsFile>;

  constructor(source: string, files: SafetensorsFile[], order: TensorInfo[], indexMetadata: Map<string, PyValue> | null = null) {
    this.source = source;
    this.files = files;
    this.indexMetadata = indexMetadata;
    this.#order = order;
    this.#byName = new Map(order.map((t) => [t.name, t]));
    this.#byFile = new Map(files.map((f) => [f.path, f]));
  }

  /** Tensor names in namespace order (see the module comment). */
  names(): string[] {
    return this.#order.map((t) => t.name);
  }

  /** Tensor infos in namespace order. */
  tensors(): readonly TensorInfo[] {
    return this.#order;
  }

  get size(): number {
    return this.#order.length;
  }

  get(name: string): TensorInfo | undefined {
    return this.#byName.get(name);
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Reads a byte range of a tensor (see SafetensorsFile.read). */
  read(info: TensorInfo, start = 0, length = info.byteLength - start, into?: Uint8Array): Uint8Array {
    const f = this.#byFile.get(info.file);
    if (!f) throw new SafetensorsError(info.file, 'tensor does not belong to this checkpoint', { tensor: info.name });
    return f.read(info, start, length, into);
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}

/** Why a shard name from an index is refused, or null when it stays inside the folder. */
export function unsafeShardName(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.includes('\\')) return 'it contains a backslash';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(name)) return 'it is a URL or a drive path';
  if (name.startsWith('/')) return 'it is an absolute path';
  if (name.split('/').some((p) => p === '..')) return "it contains a '..' segment";
  if (!name.endsWith('.safetensors')) return "it does not end in '.safetensors'";
  return null;
}

function list(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function closeAll(files: SafetensorsFile[]): void {
  for (const f of files) f.close();
}

/** Opens shards in order, closing the ones already open if one fails. */
function openAll(paths: readonly string[]): SafetensorsFile[] {
  const out: SafetensorsFile[] = [];
  try {
    for (const p of paths) out.push(new SafetensorsFile(p));
  } catch (err) {
    closeAll(out);
    throw err;
  }
  return out;
}

/**
 * Opens a checkpoint: a `.safetensors` file, or a `*.json` shard index.
 * The validate kernel must be loaded (`await loadSafetensorsReader()`).
 */
export function openCheckpoint(path: string): TensorStore {
  if (path.endsWith('.json')) return openIndex(path);
  const f = new SafetensorsFile(path);
  return new TensorStore(path, [f], [...f.tensors]);
}

/** Opens a sharded checkpoint through its `model.safetensors.index.json`. */
export function openIndex(indexPath: string): TensorStore {
  const bad = (msg: string, hint?: string): never => {
    throw new SafetensorsError(indexPath, msg, { hint: hint ?? 'the shard index is malformed; download model.safetensors.index.json again' });
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(readFile(indexPath));
  } catch (err) {
    if (err instanceof TypeError) bad('the shard index is not valid UTF-8');
    throw err;
  }
  let root: PyValue = null;
  let dup: JsonOddity | null = null;
  try {
    ({ value: root, oddity: dup } = parseJsonStrict(text, { duplicates: (p) => p.length === 1 && p[0] === 'weight_map' }));
  } catch (err) {
    bad(`the shard index is not valid JSON (${err instanceof JsonParseError ? err.message : String(err)})`);
  }
  if (!(root instanceof Map)) return bad('the shard index is not a JSON object');
  if (dup?.kind === 'duplicate') bad(`weight_map lists tensor '${dup.key}' more than once`);
  const wm = root.get('weight_map');
  if (!(wm instanceof Map)) return bad(`the shard index has no "weight_map" object mapping tensor names to shard files`);
  const meta = root.get('metadata');
  if (meta !== undefined && meta !== null && !(meta instanceof Map)) bad('"metadata" in the shard index is not an object');

  // Shard file names, in order of first appearance.
  const shardNames: string[] = [];
  const seen = new Set<string>();
  const refused: string[] = [];
  for (const [tensor, shard] of wm) {
    if (typeof shard !== 'string') return bad(`weight_map entry '${tensor}' is not a file name string`);
    if (seen.has(shard)) continue;
    seen.add(shard);
    const why = unsafeShardName(shard);
    if (why) refused.push(`'${shard}' (${why})`);
    else shardNames.push(shard);
  }
  if (refused.length) {
    bad(`refusing shard file names that could point outside the checkpoint folder: ${refused.slice(0, 10).join(', ')}`,
      'an index must name shard files inside its own folder; this index is corrupted or hostile');
  }
  if (shardNames.length === 0) bad('weight_map is empty: the index names no tensors');

  const dir = nodePath.dirname(indexPath);
  const paths = shardNames.map((s) => nodePath.join(dir, s));
  const missing = shardNames.filter((_, i) => !isFile(paths[i]!));
  if (missing.length) {
    bad(`${missing.length} of ${shardNames.length} shard files named by the index are missing: ${list(missing, 50)}`,
      'download every shard listed in model.safetensors.index.json into the same folder');
  }

  const files = openAll(paths);
  try {
    const byShard = new Map(shardNames.map((s, i) => [s, files[i]!]));
    const absent: string[] = [];
    const order: TensorInfo[] = [];
    for (const [tensor, shard] of wm) {
      const info = byShard.get(shard as string)!.get(tensor);
      if (info) order.push(info);
      else absent.push(`${tensor} (in ${shard as string})`);
    }
    const holders = new Map<string, string[]>();
    for (let i = 0; i < files.length; i++) {
      for (const t of files[i]!.tensors) {
        const h = holders.get(t.name);
        if (h) h.push(shardNames[i]!);
        else holders.set(t.name, [shardNames[i]!]);
      }
    }
    const twice: string[] = [];
    const unindexed: string[] = [];
    for (const [name, h] of holders) {
      if (h.length > 1) twice.push(`${name} (in ${h.join(' and ')})`);
      if (!wm.has(name)) unindexed.push(`${name} (in ${h[0]})`);
    }
    const problems: string[] = [];
    if (twice.length) problems.push(`${twice.length} tensors are stored in more than one shard: ${list(twice)}`);
    if (absent.length) problems.push(`${absent.length} tensors named by the index are absent from their shard: ${list(absent)}`);
    if (unindexed.length) problems.push(`${unindexed.length} tensors in the shards are not in the index: ${list(unindexed)}`);
    if (problems.length) {
      bad(`the index does not match its shards: ${problems.join('; ')}`,
        'the index and the shard files come from different versions of the checkpoint; download them together again');
    }
    return new TensorStore(indexPath, files, order, meta instanceof Map ? meta : null);
  } catch (err) {
    closeAll(files);
    throw err;
  }
}
