// Shared shapes of stage inputs and outputs.
import type { SeraDtype } from '../format/dtypes.js';
import type { LayerSpec } from '../model/layer-plan.js';
import type { TensorSet } from '../model/tensors.js';
import type { PyDict } from '../format/pyvalue.js';

/** One array a stage produces: the payload as written (little-endian) and its header shape. */
export interface ArrayOut {
  name: string;
  dtype: SeraDtype;
  shape: number[];
  payload: Uint8Array;
}

export interface ModelView {
  layers: LayerSpec[];
  tensors: TensorSet;
  dModel: number;
}

export interface StageResult {
  arrays: ArrayOut[];
  metadata: PyDict;
}

export function f32Payload(values: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(values as ArrayLike<number>);
  return new Uint8Array(f.buffer);
}

export function f64Payload(values: ArrayLike<number>): Uint8Array {
  const f = Float64Array.from(values as ArrayLike<number>);
  return new Uint8Array(f.buffer);
}

/** The reference's shape of a list of `rows` lists of `cols` (an empty list has shape (0,)). */
export function matrixShape(rows: number, cols: number): number[] {
  return rows > 0 ? [rows, cols] : [0];
}

export function vectorShape(n: number): number[] {
  return [Math.max(0, n)];
}
