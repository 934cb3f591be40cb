// Shared shapes of stage inputs and outputs.
import type { SeraDtype } from '../format/dtypes.js';
import type { LayerSpec } from '../model/layer-plan.js';
import type { TensorSet } from '../model/tensors.js';
import { StageError } from '../errors.js';

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

/** The reference's struct.pack('<f') error for a finite value beyond the f32 range; `subject` names the value. */
export function f32TooLarge(subject: string, hint: string): StageError {
  return new StageError(`${subject} does not fit a 32-bit float (float too large to pack with f format)`, hint);
}

/** `Math.fround(x)`, or the f32TooLarge error (subject `${name} ${x}`) when a finite x rounds to ±inf. */
export function checkF32(x: number, name: string, hint: string): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) && Number.isFinite(x)) throw f32TooLarge(`${name} ${x}`, hint);
  return f;
}

export function f32Payload(values: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(values as ArrayLike<number>);
  return new Uint8Array(f.buffer);
}

/** The reference's shape of a list of `rows` lists of `cols` (an empty list has shape (0,)). */
export function matrixShape(rows: number, cols: number): number[] {
  return rows > 0 ? [rows, cols] : [0];
}

export function vectorShape(n: number): number[] {
  return [Math.max(0, n)];
}
