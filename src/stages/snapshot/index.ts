// `sera_snapshot` of sera_state.json (FORMAT.md §5.6, ALGORITHMS.md §16): what
// the reference gets from constructing the Python Sera runtime with a few config
// fields replaced and calling .snapshot(), or the error form when the runtime
// rejects that config. Either way `metadata.determinism` is attached last.
import { dict, type PyDict } from '../../format/pyvalue.js';
import { resolveRuntimeConfig, type ResolveInputs, type RuntimeException } from './resolve.js';
import { seraConfigDict } from './runtime-config.js';
import { correctorStateSnapshot, diagnosticsRecord, linearStateSnapshot, manifestRecord } from './runtime-state.js';

export type { RuntimeException } from './resolve.js';
export { zlibCrc32 } from './crc32.js';

export interface SnapshotInputs extends ResolveInputs {
  /** the very same Map object as metadata.determinism (shared, not copied) */
  determinism: PyDict;
}

export interface RuntimeSnapshot {
  /** the `sera_snapshot` value */
  snapshot: PyDict;
  /** non-null when the runtime refused the config: also goes to metadata.runtime_snapshot_error */
  error: RuntimeException | null;
}

/** The `{type, message}` dict the converter stores for a runtime failure. */
export function runtimeErrorDict(error: RuntimeException): PyDict {
  return dict({ type: error.type, message: error.message });
}

export function buildRuntimeSnapshot(inputs: SnapshotInputs): RuntimeSnapshot {
  const resolved = resolveRuntimeConfig(inputs);
  const metadata = dict({ determinism: inputs.determinism });
  if (!resolved.ok) {
    return {
      snapshot: dict({ status: 'error', error: runtimeErrorDict(resolved.error), metadata }),
      error: resolved.error,
    };
  }
  const o = resolved.overrides;
  const snapshot = dict({
    config: seraConfigDict(o),
    linear_state: linearStateSnapshot(o.linearCapacity),
    corrector_state: correctorStateSnapshot(),
    diagnostics: diagnosticsRecord(),
    generation: 0n,
    manifest: manifestRecord(o.linearCapacity, o.hubWindow),
    metadata,
  });
  return { snapshot, error: null };
}
