// zlib CRC-32 (IEEE, reflected polynomial 0xEDB88320): the runtime labels its
// manifest checksum "crc32c" but computes it with zlib.crc32 (FORMAT.md §5.6).
// A table version here because node:zlib only gained crc32 in Node 20.15/22.2.

let table: Uint32Array | null = null;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** `zlib.crc32(data) & 0xFFFFFFFF`, as an unsigned 32-bit number. */
export function zlibCrc32(data: Uint8Array, crc = 0): number {
  const t = crcTable();
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Python's `f"0x{crc:08x}"`. */
export function crcHex(crc: number): string {
  return '0x' + (crc >>> 0).toString(16).padStart(8, '0');
}
