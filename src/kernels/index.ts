/**
 * `sera-transfer/kernels`: the WebAssembly kernels on their own (MXFP4 codec,
 * CRC-32C), without any converter code.
 *
 * ```ts
 * import { decodeMxfp4, encodeMxfp4, crc32c } from 'sera-transfer/kernels';
 * const w = await decodeMxfp4(blocks, scales);            // Float32Array, 32 per scale
 * const { blocks, scales } = await encodeMxfp4(values);   // values.length % 32 == 0
 * // hot loops: await loadMxfp4() once, then decodeMxfp4Sync / decodeMxfp4Into
 * // options: { precision: 'f64' }, { simd: false } (same bits), { nanScale: true }
 * // (scale 0xFF -> NaN block, OCP meaning; default is the reference's 2^128)
 * ```
 *
 * ## Raw ABI of build/mxfp4.wasm (for other WebAssembly hosts)
 *
 * The module has no imports and needs WebAssembly SIMD (v128). Exports:
 *
 * - `memory`: the module's memory (2 pages initially, growable, no maximum).
 *   The kernel never allocates or grows it; the host calls `memory.grow(pages)`
 *   and must re-create its views of `memory.buffer` after growth.
 * - `HEAP_BASE(): u32`: first free byte after the static data (16-aligned). Use
 *   the bytes from there on as scratch for inputs and outputs.
 * - `_initialize()`: module start; call once after instantiation (harmless, the
 *   module has no runtime-initialised state).
 * - `abiVersion(): i32` = 1.
 * - `decodeF32(blocks, scales, nBlocks, out)` / `decodeF64(...)`: decode
 *   `nBlocks` blocks of 16 code bytes at `blocks` (byte i holds element 2i in
 *   its low nibble and 2i+1 in its high nibble) with one E8M0 byte each at
 *   `scales`, writing 32·nBlocks little-endian f32 / f64 values at `out`.
 *   value = lut[code]·2^(scale−127), lut = [+0, .5, 1, 1.5, 2, 3, 4, 6, −0, −.5,
 *   −1, −1.5, −2, −3, −4, −6]; f64 is exact, f32 is the exact value rounded once
 *   (exact for scale ≤ 252); scale 0xFF means 2^128, not NaN.
 * - `encode(values, n, blocksOut, scalesOut): u32`: encode `n` f32 values
 *   (n a multiple of 32; a trailing partial block is ignored) into n/2 code
 *   bytes and n/32 scale bytes; returns n/32. Rule "ocp-mx-v1-floor-rne":
 *   scale = max(biasedExponent(max|v|) − 2, 0) (= floor(log2 amax) − 2, clamped
 *   to E8M0); code = |v|/2^(scale−127) rounded to the nearest E2M1 value, ties to
 *   even, saturating at 6, sign bit always kept (−0 → code 8); a block holding
 *   any NaN or ±Inf gets scale 0xFF and 16 zero bytes.
 * - `decodeF32Scalar`/`decodeF32Simd`, `decodeF64Scalar`/`decodeF64Simd`,
 *   `encodeScalar`/`encodeSimd`: the two implementations behind the defaults
 *   (bit-identical results; the defaults are the SIMD ones).
 *
 * All pointers and counts are u32 byte offsets / counts passed as i32 (pass
 * `ptr >>> 0` style values); no alignment is required (16-byte alignment is
 * faster); outputs must not overlap inputs. Calls are synchronous and keep no
 * state between calls, so large inputs can be processed in any chunking.
 */
import { loadMxfp4 } from './mxfp4.js';
import { loadCrc32c } from './crc32c.js';

export {
  ENCODER_RULE,
  decodeMxfp4,
  decodeMxfp4Sync,
  decodeMxfp4Into,
  encodeMxfp4,
  encodeMxfp4Sync,
  encodeMxfp4Into,
} from './mxfp4.js';
export type { Mxfp4Precision, Mxfp4DecodeOptions, Mxfp4EncodeOptions, Mxfp4Encoded } from './mxfp4.js';
export { crc32c, crc32cSync } from './crc32c.js';
export { loadMxfp4, loadCrc32c };

/** Loads every kernel this entry exposes (so all sync functions can be used). */
export async function loadKernels(): Promise<void> {
  await Promise.all([loadMxfp4(), loadCrc32c()]);
}
