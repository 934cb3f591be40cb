// Shard planning and the shard index, as Hugging Face's save_pretrained writes
// them (huggingface_hub split_state_dict_into_shards_factory): walk tensors in
// state-dict order, start a new shard when the next tensor would push the current
// one past the limit, put a tensor larger than the limit in a shard of its own;
// name shards model-0000K-of-0000N.safetensors (1-based); the index is
// json.dumps({"metadata": {"total_size"}, "weight_map"}, indent=2, sort_keys=True) + "\n".
import { dumps } from '../format/pyjson.js';
import { dictOf } from '../format/pyvalue.js';

/** huggingface_hub's default max_shard_size ("5GB"). */
export const DEFAULT_SHARD_BYTES = 5_000_000_000;

/** Groups of tensor indices, one per shard, in shard order. */
export function planShards(sizes: readonly number[], maxBytes: number): number[][] {
  const shards: number[][] = [];
  let current: number[] = [];
  let currentSize = 0;
  sizes.forEach((size, i) => {
    if (size > maxBytes) { shards.push([i]); return; }
    if (currentSize + size > maxBytes) {
      shards.push(current);
      current = [];
      currentSize = 0;
    }
    current.push(i);
    currentSize += size;
  });
  if (current.length) shards.push(current);
  return shards;
}

export function shardFileName(k: number, n: number): string {
  const pad = (x: number) => String(x).padStart(5, '0');
  return `model-${pad(k)}-of-${pad(n)}.safetensors`;
}

/** The text of model.safetensors.index.json. */
export function shardIndexText(totalSize: number, weightMap: ReadonlyArray<readonly [string, string]>): string {
  const index = dictOf([
    ['metadata', dictOf([['total_size', BigInt(totalSize)]])],
    ['weight_map', dictOf(weightMap.map(([n, f]) => [n, f] as const))],
  ]);
  return dumps(index, { indent: 2, sortKeys: true }) + '\n';
}

/** Parses sizes like 5000000000, 5GB, 512MB, 2GiB, 64KiB (decimal units as huggingface_hub reads them). */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(|B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$/i.exec(text);
  if (!m) return null;
  const unit = m[2]!.toUpperCase();
  const mult: Record<string, number> = {
    '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40,
  };
  const n = Math.floor(Number(m[1]) * mult[unit]!);
  return n > 0 ? n : null;
}
