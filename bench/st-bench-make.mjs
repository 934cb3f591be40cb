// Builds the benchmark's big safetensors file once (reused while it exists with
// its checksum sidecar). Tensors hold pseudo-random bytes; the sidecar records
// each tensor's sum of little-endian u32 words mod 2^32.
import { openSync, writeSync, closeSync, existsSync, mkdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const BLOCK = 16 * 1024 * 1024;

// A few big tensors (~4 GiB total); every size is a multiple of 16 MiB except
// the small last one, which is a multiple of 4 so word sums line up.
export const TENSORS = [
  ['model.embed_tokens.weight', 'BF16', [65536, 8192]],   // 1 GiB
  ['model.layers.0.mlp.up_proj.weight', 'F32', [16384, 16384]], // 1 GiB
  ['model.layers.0.mlp.down_proj.weight', 'F16', [32768, 16384]], // 1 GiB
  ['model.layers.0.experts.blocks', 'U8', [1024, 1048576]], // 1 GiB
  ['model.norm.weight', 'F32', [8192]],
];
const SIZE = { F32: 4, F16: 2, BF16: 2, U8: 1 };

function header() {
  let off = 0;
  const parts = ['"__metadata__":{"format":"pt"}'];
  for (const [name, dtype, shape] of TENSORS) {
    const n = shape.reduce((a, b) => a * b, 1) * SIZE[dtype];
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${off},${off + n}]}`);
    off += n;
  }
  let h = `{${parts.join(',')}}`;
  h += ' '.repeat((8 - (h.length % 8)) % 8);
  return { text: h, dataBytes: off };
}

export function makeBigFile(dir) {
  const path = join(dir, 'big.safetensors');
  const sumsPath = join(dir, 'big.sums.json');
  const { text, dataBytes } = header();
  const hb = Buffer.from(text, 'utf8');
  const total = 8 + hb.length + dataBytes;
  if (existsSync(path) && existsSync(sumsPath) && statSync(path).size === total) {
    return { path, sumsPath, bytes: total, created: false, seconds: 0 };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = process.hrtime.bigint();
  const fd = openSync(path, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  writeSync(fd, len);
  writeSync(fd, hb);
  const block = new Uint8Array(BLOCK);
  const words = new Uint32Array(block.buffer);
  let x = 0x12345678;
  for (let i = 0; i < words.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[i] = x >>> 0; }
  const sums = {};
  let serial = 0;
  for (const [name, dtype, shape] of TENSORS) {
    let left = shape.reduce((a, b) => a * b, 1) * SIZE[dtype];
    let sum = 0;
    while (left > 0) {
      const n = Math.min(left, BLOCK);
      words[0] = serial++; // vary the blocks so a misplaced read changes the sum
      const part = block.subarray(0, n);
      const w = new Uint32Array(block.buffer, 0, n >>> 2);
      for (let i = 0; i < w.length; i++) sum = (sum + w[i]) >>> 0;
      writeSync(fd, part);
      left -= n;
    }
    sums[name] = sum;
  }
  closeSync(fd);
  writeFileSync(sumsPath, JSON.stringify(sums));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { path, sumsPath, bytes: total, created: true, seconds };
}
