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
  const align = (x: number) => Math.ceil(x / 16) * 16;
  const keysOff = 0;
  const seedsOff = align(keysOff + n * 8);
  const slotsOff = align(seedsOff + m * 4);
  const orderOff = align(slotsOff + n * 8);
  const workOff = align(orderOff + n * 4);
  const total = workOff + (k.exports.workBytes(n, m) >>> 0);
  const base = k.scratch(total);
  new BigUint64Array(k.memory.buffer, base + keysOff, n).set(keys);
  const rc = k.exports.build(base + keysOff, n, m, base + seedsOff, base + slotsOff, base + orderOff, base + workOff, maxSeed);
  if (rc !== 0) return null;
  const buf = k.memory.buffer;
  return {
    seeds: new Uint32Array(buf.slice(base + seedsOff, base + seedsOff + m * 4)),
    ordered: new BigUint64Array(buf.slice(base + slotsOff, base + slotsOff + n * 8)),
    placeOrder: new Uint32Array(buf.slice(base + orderOff, base + orderOff + n * 4)),
  };
}

/** The kernel's mix64 (for cross-checks against the TS implementation). */
export function mix64Wasm(value: bigint, seed: bigint): bigint {
  return BigInt.asUintN(64, slot.get().exports.mix64Export(value, seed));
}
