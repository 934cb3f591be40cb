// CRC-32C over any byte length, streamed through the kernel's scratch in chunks.
import { KernelSlot, CHUNK_BYTES } from './wasm.js';

type Crc32cExports = { crc32c(crc: number, ptr: number, len: number): number };

const slot = new KernelSlot<Crc32cExports>('crc32c', 'await loadCrc32c() first');

/** Loads the CRC-32C kernel; call once before the synchronous API. */
export function loadCrc32c(): Promise<void> {
  return slot.load();
}

/** Running CRC-32C: pass the previous result as `crc` to continue (start with 0). */
export function crc32cSync(data: Uint8Array, crc = 0): number {
  const k = slot.get();
  const ptr = k.scratch(Math.min(CHUNK_BYTES, data.length));
  for (let off = 0; off < data.length; off += CHUNK_BYTES) {
    const part = data.subarray(off, Math.min(off + CHUNK_BYTES, data.length));
    k.u8.set(part, ptr);
    crc = k.exports.crc32c(crc, ptr, part.length) >>> 0;
  }
  return crc >>> 0;
}

export async function crc32c(data: Uint8Array, crc = 0): Promise<number> {
  await loadCrc32c();
  return crc32cSync(data, crc);
}
