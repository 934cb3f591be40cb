// MXFP4 shards: the checkpoint's MXFP4 tensors copied byte for byte into
// arrays/mxfp4/ as Sera u8 arrays (blocks and scales, original shapes), with
// arrays/mxfp4/index.json describing them. Every pair is validated first (in the
// validate kernel): 16-byte blocks, scales shaped like the blocks without their
// last dimension, and no 0xFF (NaN) scale unless allowed.
import { join } from 'node:path';
import { mkdirp, writeFile } from '../io/fs.js';
import { ArrayFileWriter, type ArrayRecord } from '../format/array-file.js';
import { checkMxfp4Sync, ScaleScan } from '../kernels/validate.js';
import { dumps } from '../format/pyjson.js';
import { dict, int, type PyValue } from '../format/pyvalue.js';
import { toHexDigest } from '../format/hash.js';
import { ModelError } from '../errors.js';
import type { RawStore } from '../model/tensors.js';
import { mxfp4Base } from '../model/mxfp4-tensor.js';
import { ENCODER_RULE, type QuantizedTensor } from './quantize.js';
import type { TensorInfo } from '../io/safetensors.js';

export interface Mxfp4Pair {
  /** Base name (the tensor without .blocks/.scales or _blocks/_scales). */
  base: string;
  blocks: TensorInfo;
  scales: TensorInfo;
}

export const SHARD_FORMAT = 'sera-mxfp4-shards-v1';
const CHUNK = 8 * 1024 * 1024;

/** Every blocks/scales pair in the checkpoint, in name order of the store. */
export function findMxfp4Pairs(store: RawStore): Mxfp4Pair[] {
  const pairs: Mxfp4Pair[] = [];
  for (const name of store.names()) {
    const m = mxfp4Base(name);
    if (m?.part !== 'blocks') continue;
    const scalesName = `${m.base}${m.sep}scales`;
    const scales = store.get(scalesName);
    const blocks = store.get(name)!;
    if (!scales) {
      throw new ModelError(`MXFP4 tensor '${name}' has no scales tensor '${scalesName}'`, 'the checkpoint is incomplete; re-download it');
    }
    pairs.push({ base: m.base, blocks, scales });
  }
  return pairs;
}

export interface ShardCheck {
  pair: Mxfp4Pair;
  maxScale: number;
  nanScales: number;
}

/** Validates every pair before anything is written. */
export function validateMxfp4Pairs(store: RawStore, pairs: Mxfp4Pair[], allowNanScales: boolean): ShardCheck[] {
  return pairs.map((pair) => {
    const { blocks, scales } = pair;
    if (blocks.dtype !== 'U8' || scales.dtype !== 'U8') {
      throw new ModelError(`MXFP4 tensor '${pair.base}': blocks and scales must be U8, found ${blocks.dtype} and ${scales.dtype}`,
        'MXFP4 tensors store packed codes and E8M0 scales as bytes');
    }
    const p = checkMxfp4Sync(blocks.shape, scales.shape);
    if (p) {
      const b = `[${blocks.shape.join(', ')}]`;
      const s = `[${scales.shape.join(', ')}]`;
      const what = p.code === 'block-bytes' ? `blocks must end in 16 bytes, found ${p.found}`
        : p.code === 'rank' ? `scales ${s} must have one dimension fewer than blocks ${b}`
        : `dimension ${p.index} differs: blocks ${b} vs scales ${s}`;
      throw new ModelError(`MXFP4 tensor '${pair.base}': ${what}`, `check that '${blocks.name}' and '${scales.name}' belong together`);
    }
    const scan = new ScaleScan();
    for (let off = 0; off < scales.byteLength; off += CHUNK) scan.add(store.read(scales, off, Math.min(CHUNK, scales.byteLength - off)));
    if (scan.nan > 0 && !allowNanScales) {
      throw new ModelError(`MXFP4 tensor '${pair.base}': ${scan.nan} scale byte(s) are 0xFF, the E8M0 NaN encoding`,
        'the weights hold NaN blocks; pass --allow-nan-scales to convert them anyway (they decode as 2^128)');
    }
    return { pair, maxScale: scan.max, nanScales: scan.nan };
  });
}

function fileName(tensor: string): string {
  return tensor.replace(/[^A-Za-z0-9._-]/g, '_') + '.bin';
}

function copyTensor(store: RawStore, info: TensorInfo, path: string): ArrayRecord {
  const w = new ArrayFileWriter(info.name, path, 'u8', info.shape);
  try {
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(1, info.byteLength)));
    for (let off = 0; off < info.byteLength; off += CHUNK) {
      const n = Math.min(CHUNK, info.byteLength - off);
      w.write(store.read(info, off, n, buf.subarray(0, n)));
    }
    return w.finish();
  } catch (err) {
    w.abandon();
    throw err;
  }
}

export interface ShardResult {
  records: ArrayRecord[];
  bytes: number;
  metadata: PyValue;
}

/**
 * Writes arrays/mxfp4/<tensor>.bin for every checked pair and index.json.
 * `layerOf` names the layer a base belongs to (null outside layers).
 */
export async function writeMxfp4Shards(store: RawStore, checks: ShardCheck[], arraysDir: string, layerOf: (base: string) => string | null,
  quantized: QuantizedTensor[] = [], between?: () => Promise<void>): Promise<ShardResult> {
  const dir = join(arraysDir, 'mxfp4');
  mkdirp(dir);
  const records: ArrayRecord[] = [];
  const entries: PyValue[] = [];
  let bytes = 0;
  for (const { pair, maxScale, nanScales } of checks) {
    await between?.(); // a Ctrl-C is acted on between tensors, not after the whole copy
    const part = (info: TensorInfo) => {
      const file = fileName(info.name);
      const r = copyTensor(store, info, join(dir, file));
      records.push(r);
      bytes += r.bytes;
      return dict({ source: info.name, file: `arrays/mxfp4/${file}`, shape: info.shape.map((d) => int(d)), bytes: int(r.bytes), sha256: toHexDigest(r.sha256) });
    };
    const experts = pair.blocks.shape.length >= 4 ? int(pair.blocks.shape[0]!) : null;
    entries.push(dict({
      tensor: pair.base, layer: layerOf(pair.base), experts,
      blocks: part(pair.blocks), scales: part(pair.scales),
      max_scale: int(maxScale), nan_scales: int(nanScales),
    }));
  }
  for (const q of quantized) {
    await between?.();
    entries.push(writeQuantized(q, dir, records, layerOf, (n) => { bytes += n; }));
  }
  writeFile(join(dir, 'index.json'), shardIndexText(entries));
  return { records, bytes, metadata: shardsMetadata(checks.length + quantized.length, records.length, bytes, quantized.length) };
}

/** Encodes a float tensor chunk by chunk into its blocks and scales files. */
function writeQuantized(q: QuantizedTensor, dir: string, records: ArrayRecord[], layerOf: (base: string) => string | null, count: (n: number) => void): PyValue {
  const name = q.source.info.name;
  const last = q.shape[q.shape.length - 1]!;
  const shapes = quantizedShapes(q.shape);
  const bFile = fileName(`${name}.blocks`);
  const sFile = fileName(`${name}.scales`);
  const bw = new ArrayFileWriter(`${name}.blocks`, join(dir, bFile), 'u8', shapes.blocks);
  const sw = new ArrayFileWriter(`${name}.scales`, join(dir, sFile), 'u8', shapes.scales);
  const scan = new ScaleScan();
  try {
    const rowsPerChunk = Math.max(1, Math.floor((1 << 22) / last));
    const rows = q.size / last;
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const n = Math.min(rows, r + rowsPerChunk) - r;
      const { blocks, scales } = q.encode(r * last, n * last);
      bw.write(blocks);
      sw.write(scales);
      scan.add(scales);
    }
    const b = bw.finish();
    const sc = sw.finish();
    records.push(b, sc);
    count(b.bytes + sc.bytes);
    const part = (r: ArrayRecord, file: string, shape: number[]) =>
      dict({ file: `arrays/mxfp4/${file}`, shape: shape.map((x) => int(x)), bytes: int(r.bytes), sha256: toHexDigest(r.sha256) });
    return dict({
      tensor: name, layer: layerOf(name), experts: q.shape.length >= 3 ? int(q.shape[0]!) : null,
      encoder: ENCODER_RULE, source_dtype: q.source.dtype,
      blocks: part(b, bFile, shapes.blocks), scales: part(sc, sFile, shapes.scales),
      max_scale: int(scan.max), nan_scales: int(scan.nan),
    });
  } catch (err) {
    bw.abandon();
    sw.abandon();
    throw err;
  }
}

// ---- shapes and texts the dry run (pipeline/plan.ts) plans arrays/mxfp4/ with ----

/** A stored tensor's shard file, relative to the package. */
export function shardPath(tensor: string): string {
  return `arrays/mxfp4/${fileName(tensor)}`;
}

/** A float tensor quantized along its last dimension: blocks [..., G, 16] and scales [..., G], G = last / 32. */
export function quantizedShapes(shape: readonly number[]): { blocks: number[]; scales: number[] } {
  const lead = shape.slice(0, -1);
  const G = shape[shape.length - 1]! / 32;
  return { blocks: [...lead, G, 16], scales: [...lead, G] };
}

/** arrays/mxfp4/index.json. */
export function shardIndexText(entries: PyValue[]): string {
  return dumps(dict({ format: SHARD_FORMAT, decode: 'value = lut[code] * 2^(scale - 127), low nibble first', tensors: entries })) + '\n';
}

/** metadata.mxfp4_shards. */
export function shardsMetadata(tensors: number, files: number, bytes: number, quantized: number): PyValue {
  return dict({
    index: 'arrays/mxfp4/index.json', format: SHARD_FORMAT, tensors: int(tensors), files: int(files), bytes: int(bytes),
    ...(quantized ? { quantized: int(quantized), encoder: ENCODER_RULE } : {}),
  });
}
