// What the stage worker threads (bridge, MoE collapse) and their parents share:
// the checkpoint opened inside a worker, and errors carried across the thread
// boundary (the thread budget is in bridge-spawn.ts, which the CLI loads early).
import type { MessagePort } from 'node:worker_threads';
import { openCheckpoint } from '../io/shards.js';
import { loadSafetensorsReader } from '../io/safetensors.js';
import { loadMxfp4 } from '../kernels/mxfp4.js';
import { TensorSet, type RawStore } from '../model/tensors.js';
import { SeraError } from '../errors.js';

/** Inside a worker: loads the reader and MXFP4 kernels (plus `kernels`); a second call costs nothing. */
export async function loadWorkerKernels(kernels: (() => Promise<void>)[] = []): Promise<void> {
  await Promise.all([loadSafetensorsReader(), loadMxfp4(), ...kernels.map((load) => load())]);
}

/**
 * Inside a worker: loads the kernels (see loadWorkerKernels), opens the checkpoint
 * and a TensorSet over it (through `wrap`, e.g. to report reads). The caller closes the store.
 */
export async function openWorkerTensors(source: string, opts: { kernels?: (() => Promise<void>)[]; wrap?: (s: RawStore) => RawStore } = {}): Promise<{ tensors: TensorSet; close(): void }> {
  await loadWorkerKernels(opts.kernels);
  const store = openCheckpoint(source);
  return { tensors: new TensorSet(opts.wrap ? opts.wrap(store) : store), close: () => store.close() };
}

export interface ErrorMessage {
  type: 'error';
  /** The error's class name (a SeraError's is what the report calls its kind). */
  name: string;
  message: string;
  /** Set for a SeraError (a problem the user can act on). */
  sera: boolean;
  hint: string | undefined;
  stack: string | undefined;
}

/** Posts a worker's error to its parent (see errorFromMessage), with `extra` fields (e.g. the stage). */
export function postError(port: MessagePort, e: unknown, extra: Record<string, unknown> = {}): void {
  const err = e instanceof Error ? e : new Error(String(e));
  const msg: ErrorMessage = { type: 'error', name: err.name, message: err.message, sera: e instanceof SeraError, hint: e instanceof SeraError ? e.hint : undefined, stack: err.stack };
  port.postMessage({ ...extra, ...msg });
}

/**
 * The parent's copy of a worker's error: a SeraError keeps its class name, message
 * and hint (and exit code 1: usage errors never come from a worker); anything else
 * stays a plain Error (reported as a bug), with the worker's stack for --debug.
 */
export function errorFromMessage(m: ErrorMessage): Error {
  if (m.sera) {
    const err = new SeraError(m.message, m.hint);
    err.name = m.name;
    return err;
  }
  const err = new Error(m.message);
  if (m.stack) err.stack = m.stack;
  return err;
}
