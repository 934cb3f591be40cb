// Thin wrapper over the mph kernel: the reference's two-level minimal perfect hash.
import { KernelSlot } from './wasm.js';

type MphExports = {
  build(keys: number, n: number, m: number, seeds: number, slots: number, placeOrder: number, work: number, maxSeed: number): number;
  workBytes(n: number, m: number): number;
  mix64Export(value: bigint, seed: bigint): bigint;
};

const slot = new KernelSlot<MphExports>('mph', 'await loadMph() first');

export function loadMph(): Promise<void> {
  return slot.load();
}

export interface MphBuild {
  /** Seed per bucket (M entries); buckets that received no key keep 0. */
  seeds: Uint32Array;
  /** Keys in slot order (n entries). */
  ordered: BigUint64Array;
  /** Slot indices in placement order (bucket processing order). */
  placeOrder: Uint32Array;
}

/**
 * Runs the construction with M buckets. Returns null when some bucket exhausts
 * `maxSeed` seeds (the reference raises MinimalPerfectHashError there).
 */
export function buildMphRaw(keys: BigUint64Array, m: number, maxSeed = 65536): MphBuild | null {
  const k = slot.get();
  const n = keys.length;
  const at = k.regions<'keys' | 'seeds' | 'slots' | 'order' | 'work'>([
    ['keys', n * 8], ['seeds', m * 4], ['slots', n * 8], ['order', n * 4], ['work', k.exports.workBytes(n, m) >>> 0],
  ]);
  new BigUint64Array(k.memory.buffer, at.keys, n).set(keys);
  const rc = k.exports.build(at.keys, n, m, at.seeds, at.slots, at.order, at.work, maxSeed);
  if (rc !== 0) return null;
  const buf = k.memory.buffer;
  return {
    seeds: new Uint32Array(buf.slice(at.seeds, at.seeds + m * 4)),
    ordered: new BigUint64Array(buf.slice(at.slots, at.slots + n * 8)),
    placeOrder: new Uint32Array(buf.slice(at.order, at.order + n * 4)),
  };
}

/** The kernel's mix64 (for cross-checks against the TS implementation). */
export function mix64Wasm(value: bigint, seed: bigint): bigint {
  return BigInt.asUintN(64, slot.get().exports.mix64Export(value, seed));
}
