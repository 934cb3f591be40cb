// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-16.
// ABI: crc32c(crc, ptr, len) -> crc. Start with crc = 0 and feed chunks in
// order; the pre/post inversion is applied inside, so chunks chain.
import { HEAP_BASE } from './shared/heap';

const POLY: u32 = 0x82f63b78;
// 16 tables x 256 u32 entries: table t maps a byte followed by t zero bytes.
const TABLE: usize = memory.data(16 * 256 * 4, 16);

function build(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(TABLE + (<usize>i << 2), c);
  }
  for (let t: usize = 1; t < 16; t++) {
    for (let i: usize = 0; i < 256; i++) {
      const prev = load<u32>(TABLE + ((t - 1) << 10) + (i << 2));
      store<u32>(TABLE + (t << 10) + (i << 2), (prev >>> 8) ^ load<u32>(TABLE + ((prev & 0xff) << 2)));
    }
  }
}
build();

@inline function tab(t: usize, i: u32): u32 {
  return load<u32>(TABLE + (t << 10) + (<usize>(i & 0xff) << 2));
}

export function crc32c(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let p = ptr;
  const end = ptr + len;
  while (p < end && (p & 7) != 0) {
    c = tab(0, c ^ load<u8>(p)) ^ (c >>> 8);
    p++;
  }
  while (end - p >= 16) {
    const a = load<u32>(p) ^ c;
    const b = load<u32>(p, 4);
    const d = load<u32>(p, 8);
    const e = load<u32>(p, 12);
    c = tab(15, a) ^ tab(14, a >>> 8) ^ tab(13, a >>> 16) ^ tab(12, a >>> 24) ^
        tab(11, b) ^ tab(10, b >>> 8) ^ tab(9, b >>> 16) ^ tab(8, b >>> 24) ^
        tab(7, d) ^ tab(6, d >>> 8) ^ tab(5, d >>> 16) ^ tab(4, d >>> 24) ^
        tab(3, e) ^ tab(2, e >>> 8) ^ tab(1, e >>> 16) ^ tab(0, e >>> 24);
    p += 16;
  }
  while (p < end) {
    c = tab(0, c ^ load<u8>(p)) ^ (c >>> 8);
    p++;
  }
  return ~c;
}

export { HEAP_BASE };
