// Determinism attestations (--assume-fma / --assume-ftz) and the metadata that
// records them (ALGORITHMS.md §2.1, FORMAT.md §5.5).
import { readFile } from '../io/fs.js';
import { SeraError } from '../errors.js';
import { dict, type PyDict } from '../format/pyvalue.js';
import { HOUSEHOLDER_TOLERANCE } from '../numeric/householder.js';

export class DeterminismError extends SeraError {}

/** `ldexp(1, -1074) * 1.0 == 0.0`: true only where denormals are flushed (never in JS engines). */
export function probeFlushToZero(): boolean {
  return 2 ** -1074 * 1.0 === 0.0;
}

/** The reference's /proc/cpuinfo probe: true/false from the flags line, null when unreadable. */
export function probeFma(): boolean | null {
  let text: string;
  try {
    text = new TextDecoder().decode(readFile('/proc/cpuinfo'));
  } catch {
    return null;
  }
  let sawFlags = false;
  for (const line of text.split('\n')) {
    const m = /^\s*(flags|features)\s*:(.*)$/i.exec(line);
    if (!m) continue;
    sawFlags = true;
    const flags = new Set(m[2]!.trim().split(/\s+/));
    if (['fma', 'asimdfhm', 'asimddp', 'fphp'].some((f) => flags.has(f))) return true;
  }
  return sawFlags ? false : null;
}

export interface Determinism {
  assumeFtz: boolean;
  assumeFma: boolean;
  ftzProbe: boolean;
  fmaProbe: boolean | null;
}

/** Checks the attestations as the reference does; throws before anything is written. */
export function setupDeterminism(assumeFtz: boolean, assumeFma: boolean): Determinism {
  const ftzProbe = probeFlushToZero();
  const fmaProbe = probeFma();
  if (assumeFtz && !ftzProbe) {
    throw new DeterminismError('Environment preserves denormal floats despite --assume-ftz attestation',
      'JavaScript engines never flush denormals to zero: drop --assume-ftz');
  }
  if (assumeFma) {
    if (fmaProbe === null) throw new DeterminismError('Unable to validate fused multiply-add support on this platform', 'drop --assume-fma');
    if (!fmaProbe) throw new DeterminismError('Fused multiply-add instructions are not available; cannot honor --assume-fma', 'drop --assume-fma');
  }
  return { assumeFtz, assumeFma, ftzProbe, fmaProbe };
}

/** metadata.determinism (manifest_path/manifest_digest are added after the manifest is written). */
export function determinismMetadata(d: Determinism, mxfp4Backends: string[]): PyDict {
  return dict({
    householder_qr: dict({ algorithm: 'householder', tolerance: HOUSEHOLDER_TOLERANCE, sign_rule: 'negative_if_nonnegative_pivot' }),
    // Describes this implementation (the corpus masks this object): MXFP4 decoding
    // runs the reference's exact-double rule in this converter's own decoder.
    mxfp4_decoder: dict({
      configured_backend: 'sera-transfer',
      observed_backends: mxfp4Backends.length ? [...mxfp4Backends].sort() : ['python'],
      torch_threads: null,
      numpy_threads: null,
      cpu_affinity: null,
      cpu_affinity_error: null,
      ftz_probe: d.ftzProbe,
      fma_probe: d.fmaProbe,
      assume_ftz: d.assumeFtz,
      assume_fma: d.assumeFma,
    }),
  });
}
