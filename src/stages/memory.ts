// Memory coefficients (ALGORITHMS.md §13): one damped-oscillator row per layer,
// stored as f64, so the cosine must be glibc's.
import { cos } from '../numeric/libm/index.js';
import { StageError } from '../errors.js';
import { dict, int, type PyDict } from '../format/pyvalue.js';
import { f32Payload, type ArrayOut } from './types.js';
import { bytesOf } from '../format/array-file.js';

const RHO = 0.995;
/** -(0.995 ** 2) as CPython's pow gives it (bits 0xBFEFAE48E8A71DE7). */
const NEG_RHO_SQ = -(RHO * RHO);

export function memoryCoefficients(layerCount: number, ropeTheta: number | null): { arrays: ArrayOut[]; metadata: PyDict } {
  const theta = ropeTheta ?? 10000.0;
  if (theta === 0) {
    throw new StageError('rope_theta is 0: the memory stage divides by it (float division by zero)', 'set a positive rope_theta in config.json');
  }
  const L = Math.max(1, layerCount);
  const coeff = new Float64Array(L * 3);
  for (let l = 0; l < L; l++) {
    const angle = ((l + 1) / L) * (1.0 / theta);
    coeff[l * 3] = (2 * RHO) * cos(angle);
    coeff[l * 3 + 1] = NEG_RHO_SQ;
    coeff[l * 3 + 2] = 1.0;
  }
  return {
    arrays: [
      { name: 'memory_coeff', dtype: 'f64', shape: [L, 3], payload: bytesOf(coeff) },
      { name: 'delaybuf_init', dtype: 'f32', shape: [L], payload: f32Payload(new Float64Array(L)) },
    ],
    metadata: dict({ rho: RHO, theta, layers: int(L) }),
  };
}
