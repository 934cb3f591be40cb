// --quantize-experts mxfp4: float FFN/expert weights (BF16, F16, F32) are encoded
// to MXFP4 with the kernels' OCP MX rule, written as shards, and every stage
// reads the decoded values, i.e. what a runtime using the shards would see.
import { Tensor, FileTensor } from '../model/tensors.js';
import { encodeMxfp4Sync, decodeMxfp4Sync, ENCODER_RULE } from '../kernels/mxfp4.js';
import { ModelError } from '../errors.js';
import type { LayerSpec } from '../model/layer-plan.js';
import type { TensorSet } from '../model/tensors.js';

export { ENCODER_RULE };

const FLOAT_DTYPES = new Set(['BF16', 'F16', 'F32', 'F64']);

/** A float tensor seen through MXFP4: values = decode(encode(f32(x))), 32 per group along the last dimension. */
export class QuantizedTensor extends Tensor {
  readonly source: FileTensor;
  readonly shape: readonly number[];
  constructor(source: FileTensor) {
    super();
    this.source = source;
    this.shape = source.shape;
    const last = this.shape[this.shape.length - 1] ?? 0;
    if (this.shape.length < 2 || last % 32 !== 0) {
      throw new ModelError(`${source.label}: --quantize-experts mxfp4 needs a last dimension that is a multiple of 32, found [${this.shape.join(', ')}]`,
        'MXFP4 groups 32 values along the last dimension; convert without --quantize-experts');
    }
  }
  get label(): string {
    return `${this.source.label} quantized to MXFP4`;
  }
  /** MXFP4 codes and scales of elements [start, start+count) (aligned to 32). */
  encode(start: number, count: number): { blocks: Uint8Array; scales: Uint8Array } {
    return encodeMxfp4Sync(Float32Array.from(this.source.readFlat(start, count)));
  }
  override readFlat(start: number, count: number, out?: Float64Array): Float64Array {
    const { blocks, scales } = this.encode(start, count);
    const v = decodeMxfp4Sync(blocks, scales, { precision: 'f64' });
    if (!out) return v;
    out.set(v);
    return out;
  }
  readRows(r0: number, r1: number, out?: Float64Array): Float64Array {
    return this.readFlat(r0 * this.rowSize, (r1 - r0) * this.rowSize, out);
  }
}

/** Replaces each layer's float W1/W2 by its MXFP4 view; returns the views (for the shards). */
export function quantizeFfnWeights(layers: LayerSpec[], tensors: TensorSet): QuantizedTensor[] {
  const out: QuantizedTensor[] = [];
  for (const l of layers) {
    for (const name of [l.w1, l.w2]) {
      const t = tensors.get(name);
      if (!(t instanceof FileTensor) || !FLOAT_DTYPES.has(t.dtype)) continue;
      const q = new QuantizedTensor(t);
      tensors.set(name, q);
      out.push(q);
    }
  }
  return out;
}
