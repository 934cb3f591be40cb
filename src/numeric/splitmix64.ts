// SplitMix64 and the converter's mix64 (ALGORITHMS.md §8), on 32-bit halves:
// exact u64 arithmetic without BigInt on the hot path.

let rHi = 0;
let rLo = 0;

/** High 32 bits of the 64-bit product of two u32 values. */
function mulhi32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** (aHi:aLo) * (bHi:bLo) mod 2^64 into rHi:rLo. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const lo = Math.imul(aLo, bLo) >>> 0;
  const hi = (mulhi32(aLo, bLo) + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
  rHi = hi;
  rLo = lo;
}

const GAMMA_HI = 0x9e3779b9, GAMMA_LO = 0x7f4a7c15;
const M1_HI = 0xbf58476d, M1_LO = 0x1ce4e5b9;
const M2_HI = 0x94d049bb, M2_LO = 0x133111eb;

/** The SplitMix64 output function applied to z (in rHi:rLo on return). */
function finalize(hi: number, lo: number): void {
  // z ^= z >> 30
  lo = (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0;
  hi = (hi ^ (hi >>> 30)) >>> 0;
  mul64(hi, lo, M1_HI, M1_LO);
  hi = rHi; lo = rLo;
  // z ^= z >> 27
  lo = (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0;
  hi = (hi ^ (hi >>> 27)) >>> 0;
  mul64(hi, lo, M2_HI, M2_LO);
  hi = rHi; lo = rLo;
  // z ^= z >> 31
  rLo = (lo ^ ((lo >>> 31) | (hi << 1))) >>> 0;
  rHi = (hi ^ (hi >>> 31)) >>> 0;
}

function add64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const lo = aLo + bLo;
  rLo = lo >>> 0;
  rHi = (aHi + bHi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

const TWO_NEG53 = 1 / 9007199254740992;
const U_MIN = 2 ** -52;
const U_MAX = 1 - 2 ** -52;

export function toBig(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export class SplitMix64 {
  #hi: number;
  #lo: number;
  /** High/low halves of the last output of {@link nextHalves}. */
  outHi = 0;
  outLo = 0;

  constructor(seed: bigint = 0n) {
    const s = BigInt.asUintN(64, seed);
    this.#hi = Number(s >> 32n);
    this.#lo = Number(s & 0xffffffffn);
  }

  /** The state as [high, low] 32-bit halves (a kernel continues the generator from it). */
  stateHalves(): [number, number] {
    return [this.#hi, this.#lo];
  }

  setStateHalves(hi: number, lo: number): void {
    this.#hi = hi >>> 0;
    this.#lo = lo >>> 0;
  }

  /** Advances and leaves the output in outHi/outLo. */
  nextHalves(): void {
    add64(this.#hi, this.#lo, GAMMA_HI, GAMMA_LO);
    this.#hi = rHi;
    this.#lo = rLo;
    finalize(rHi, rLo);
    this.outHi = rHi;
    this.outLo = rLo;
  }

  next(): bigint {
    this.nextHalves();
    return toBig(this.outHi, this.outLo);
  }

  /** `(next() >> 11) / 2^53`, exact. */
  nextUnit(): number {
    this.nextHalves();
    return (this.outHi * 2097152 + (this.outLo >>> 11)) * TWO_NEG53;
  }

  /** Box–Muller pair with the reference's clamp on u only (§8.3). */
  gaussianPair(log: (x: number) => number, cos: (x: number) => number, sin: (x: number) => number): [number, number] {
    let u = this.nextUnit();
    const v = this.nextUnit();
    u = Math.min(Math.max(u, U_MIN), U_MAX);
    const rad = Math.sqrt(-2.0 * log(u));
    const ang = (2.0 * Math.PI) * v;
    return [rad * cos(ang), rad * sin(ang)];
  }
}

/** The converter's mix64(value, seed) (§8.2), BigInt in and out. */
export function mix64(value: bigint, seed: bigint = 0n): bigint {
  const z = BigInt.asUintN(64, value + seed + 0x9e3779b97f4a7c15n);
  finalize(Number(z >> 32n), Number(z & 0xffffffffn));
  return toBig(rHi, rLo);
}

/** mix64 on halves; result in the returned pair [hi, lo]. */
export function mix64Halves(vHi: number, vLo: number, sHi: number, sLo: number): [number, number] {
  add64(vHi, vLo, sHi, sLo);
  add64(rHi, rLo, GAMMA_HI, GAMMA_LO);
  finalize(rHi, rLo);
  return [rHi, rLo];
}
