// An MXFP4 `.blocks`/`.scales` pair seen as the decoded tensor (ALGORITHMS.md §6.3):
// value = LUT[nibble] * 2^(scale - 127), low nibble first, exact in doubles.
// Blocks [..., G, B] decode to [..., G*2B] (the reference did not merge G, and
// crashed on such tensors; 2-D blocks [R, B] with scales [R] give [R, 2B] as before).
import { Tensor, type FileTensor } from './tensors.js';
import { ModelError } from '../errors.js';
import { decodeMxfp4Into, mxfp4Loaded } from '../kernels/mxfp4.js';
import { decodeMxfp4Ts } from '../kernels/mxfp4-ts.js';
import { out64 } from '../io/tensor-decode.js';

export class Mxfp4Tensor extends Tensor {
  readonly name: string;
  readonly blocks: FileTensor;
  readonly scales: FileTensor;
  readonly shape: readonly number[];
  /** Bytes per group (B): each group decodes to 2B values with one scale. */
  readonly groupBytes: number;

  constructor(name: string, blocks: FileTensor, scales: FileTensor) {
    super();
    this.name = name;
    this.blocks = blocks;
    this.scales = scales;
    const bs = blocks.shape;
    const ss = scales.shape;
    if (bs.length < 2) {
      throw new ModelError(`${blocks.label}: MXFP4 blocks need at least 2 dimensions, found [${bs.join(', ')}]`,
        'the .blocks tensor must be [..., 16] bytes with one .scales byte per block');
    }
    const lead = bs.slice(0, -1);
    if (ss.length !== lead.length || ss.some((d, i) => d !== lead[i])) {
      throw new ModelError(
        `${scales.label}: MXFP4 scales shape [${ss.join(', ')}] must equal the blocks shape without its last dimension [${lead.join(', ')}]`,
        `check that '${name}.blocks' and '${name}.scales' belong together`);
    }
    if (blocks.dtype !== 'U8' || scales.dtype !== 'U8') {
      throw new ModelError(`tensor '${name}': MXFP4 blocks and scales must be U8, found ${blocks.dtype} and ${scales.dtype}`,
        'MXFP4 tensors store packed 4-bit codes and E8M0 scales as bytes');
    }
    this.groupBytes = bs[bs.length - 1]!;
    this.shape = bs.length === 2
      ? [bs[0]!, 2 * this.groupBytes]
      : [...bs.slice(0, -2), bs[bs.length - 2]! * 2 * this.groupBytes];
  }

  get label(): string {
    return `tensor '${this.name}' (MXFP4 ${this.blocks.info.name} + ${this.scales.info.name})`;
  }

  readRows(r0: number, r1: number, out?: Float64Array): Float64Array {
    const gpr = this.rowSize / (2 * this.groupBytes); // groups per first-axis row
    return this.readGroups(r0 * gpr, r1 * gpr, out);
  }

  override readFlat(start: number, count: number, out?: Float64Array): Float64Array {
    const per = 2 * this.groupBytes;
    if (start % per !== 0 || count % per !== 0) {
      throw new ModelError(`${this.label}: element range [${start}, ${start + count}) is not aligned to ${per}-value MXFP4 groups`);
    }
    return this.readGroups(start / per, (start + count) / per, out);
  }

  /** Decoded values of groups [g0, g1) (each group: 2B values sharing one scale). */
  readGroups(g0: number, g1: number, out?: Float64Array): Float64Array {
    const B = this.groupBytes;
    const bytes = this.blocks.store.read(this.blocks.info, g0 * B, (g1 - g0) * B);
    const scales = this.scales.store.read(this.scales.info, g0, g1 - g0);
    const res = out64((g1 - g0) * 2 * B, out); // as decodeToF64 treats its out
    if (B === 16 && mxfp4Loaded()) {
      decodeMxfp4Into(bytes, scales, res); // the wasm kernel: exact doubles, same bits as below
      return res;
    }
    decodeMxfp4Ts(bytes, scales, res, B); // other group sizes, or before the kernel is loaded
    return res;
  }

  /** Groups per last-dimension row. */
  get rowGroups(): number {
    return this.shape[this.shape.length - 1]! / (2 * this.groupBytes);
  }

  /**
   * The stored bytes of `count` last-dimension rows starting at row `first`, every
   * `stride`-th (stride 2 picks the gate rows of interleaved gate/linear weights),
   * packed back to back, read with one read per tensor.
   */
  rawRows(first: number, count: number, stride: number): { blocks: Uint8Array; scales: Uint8Array } {
    const B = this.groupBytes;
    const G = this.rowGroups;
    const span = (count - 1) * stride + 1;
    const bytes = this.blocks.store.read(this.blocks.info, first * G * B, span * G * B);
    const scales = this.scales.store.read(this.scales.info, first * G, span * G);
    if (stride === 1) return { blocks: bytes, scales };
    const cb = new Uint8Array(count * G * B);
    const cs = new Uint8Array(count * G);
    for (let i = 0; i < count; i++) {
      const r = i * stride;
      cb.set(bytes.subarray(r * G * B, (r + 1) * G * B), i * G * B);
      cs.set(scales.subarray(r * G, (r + 1) * G), i * G);
    }
    return { blocks: cb, scales: cs };
  }

  /** Decodes the rows `rawRows` selects into `out` (doubles). */
  decodeRowsInto(first: number, count: number, stride: number, out: Float64Array): void {
    if (stride === 1 || this.groupBytes !== 16 || !mxfp4Loaded()) {
      const G = this.rowGroups;
      for (let i = 0; i < count; i++) {
        const g0 = (first + i * stride) * G;
        this.readGroups(g0, g0 + G, out.subarray(i * G * 2 * this.groupBytes));
      }
      return;
    }
    const { blocks, scales } = this.rawRows(first, count, stride);
    decodeMxfp4Into(blocks, scales, out);
  }
}

/**
 * The base name of a stored MXFP4 part (`x.blocks`, `x.scales`, `x_blocks`, `x_scales`), with its
 * separator and part; null for any other name.
 */
export function mxfp4Base(name: string): { base: string; sep: '.' | '_'; part: 'blocks' | 'scales' } | null {
  const m = /^(.*)([._])(blocks|scales)$/s.exec(name);
  return m ? { base: m[1]!, sep: m[2] as '.' | '_', part: m[3] as 'blocks' | 'scales' } : null;
}
