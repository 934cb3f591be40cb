// Two-level minimal perfect hash, the reference's construction bit for bit
// (ALGORITHMS.md §12): bucket = mix64(k, 0) mod M, buckets by (size, id)
// descending, keys ascending within a bucket, seed s probes mix64(k, s) and
// mix64(k, s + 1) mod n.
import { HEAP_BASE } from './shared/heap';

const GAMMA: u64 = 0x9e3779b97f4a7c15;

@inline function mix64(value: u64, seed: u64): u64 {
  let z = value + seed + GAMMA;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

export function mix64Export(value: u64, seed: u64): u64 {
  return mix64(value, seed);
}

/** Bytes of scratch `build` needs after its inputs/outputs for n keys and M buckets. */
export function workBytes(n: u32, m: u32): usize {
  // bucketOf u32[n] + start u32[M+1] + members u32[n] + order u32[M] + occ u8[n] + tmp u64[n] + place u32[n]
  return (<usize>n << 2) + ((<usize>m + 1) << 2) + (<usize>n << 2) + (<usize>m << 2) + <usize>n + (<usize>n << 3) + (<usize>n << 2) + 64;
}

/**
 * keys: u64[n] input. seeds: u32[M] out. slots: u64[n] out (key per slot).
 * placeOrder: u32[n] out (slot indices in placement order). work: workBytes(n, M).
 * Returns 0, or -(1 + number of buckets placed) when a bucket exhausts maxSeed seeds.
 */
export function build(keys: usize, n: u32, m: u32, seeds: usize, slots: usize, placeOrder: usize, work: usize, maxSeed: u32): i32 {
  const bucketOf = work;
  const start = bucketOf + (<usize>n << 2);
  const members = start + ((<usize>m + 1) << 2);
  const order = members + (<usize>n << 2);
  const occ = order + (<usize>m << 2);
  const tmp = (occ + <usize>n + 7) & ~<usize>7;
  const place = tmp + (<usize>n << 3);
  memory.fill(start, 0, (<usize>m + 1) << 2);
  memory.fill(occ, 0, <usize>n);
  memory.fill(seeds, 0, <usize>m << 2);
  const n64 = <u64>n;
  const m64 = <u64>m;
  for (let i: u32 = 0; i < n; i++) {
    const b = <u32>(mix64(load<u64>(keys + (<usize>i << 3)), 0) % m64);
    store<u32>(bucketOf + (<usize>i << 2), b);
    store<u32>(start + (<usize>(b + 1) << 2), load<u32>(start + (<usize>(b + 1) << 2)) + 1);
  }
  let maxSize: u32 = 0;
  for (let b: u32 = 0; b < m; b++) {
    const c = load<u32>(start + (<usize>(b + 1) << 2));
    if (c > maxSize) maxSize = c;
    store<u32>(start + (<usize>(b + 1) << 2), c + load<u32>(start + (<usize>b << 2)));
  }
  // members grouped by bucket, input order kept (reuse order[] as fill cursors)
  for (let b: u32 = 0; b < m; b++) store<u32>(order + (<usize>b << 2), load<u32>(start + (<usize>b << 2)));
  for (let i: u32 = 0; i < n; i++) {
    const b = load<u32>(bucketOf + (<usize>i << 2));
    const at = load<u32>(order + (<usize>b << 2));
    store<u32>(members + (<usize>at << 2), i);
    store<u32>(order + (<usize>b << 2), at + 1);
  }
  // non-empty buckets by (size, id) descending
  let count: u32 = 0;
  for (let size = maxSize; size >= 1; size--) {
    for (let b = <i32>m - 1; b >= 0; b--) {
      const s = load<u32>(start + (<usize>(b + 1) << 2)) - load<u32>(start + (<usize>b << 2));
      if (s == size) { store<u32>(order + (<usize>count << 2), <u32>b); count++; }
    }
  }
  let placed: u32 = 0;
  for (let oi: u32 = 0; oi < count; oi++) {
    const b = load<u32>(order + (<usize>oi << 2));
    const lo = load<u32>(start + (<usize>b << 2));
    const k = load<u32>(start + (<usize>(b + 1) << 2)) - lo;
    // keys of the bucket, ascending
    for (let j: u32 = 0; j < k; j++) {
      const key = load<u64>(keys + (<usize>load<u32>(members + (<usize>(lo + j) << 2)) << 3));
      let t = <i32>j - 1;
      while (t >= 0 && load<u64>(tmp + (<usize>t << 3)) > key) {
        store<u64>(tmp + (<usize>(t + 1) << 3), load<u64>(tmp + (<usize>t << 3)));
        t--;
      }
      store<u64>(tmp + (<usize>(t + 1) << 3), key);
    }
    let found = false;
    for (let s: u32 = 0; s < maxSeed; s++) {
      let ok = true;
      for (let j: u32 = 0; j < k; j++) {
        const key = load<u64>(tmp + (<usize>j << 3));
        const p0 = <u32>(mix64(key, <u64>s) % n64);
        let c: i64 = -1;
        if (load<u8>(occ + p0) == 0 && !inPlace(place, j, p0)) c = p0;
        else {
          const p1 = <u32>(mix64(key, <u64>s + 1) % n64);
          if (load<u8>(occ + p1) == 0 && !inPlace(place, j, p1)) c = p1;
        }
        if (c < 0) { ok = false; break; }
        store<u32>(place + (<usize>j << 2), <u32>c);
      }
      if (ok) {
        store<u32>(seeds + (<usize>b << 2), s);
        for (let j: u32 = 0; j < k; j++) {
          const c = load<u32>(place + (<usize>j << 2));
          store<u64>(slots + (<usize>c << 3), load<u64>(tmp + (<usize>j << 3)));
          store<u8>(occ + c, 1);
          store<u32>(placeOrder + (<usize>placed << 2), c);
          placed++;
        }
        found = true;
        break;
      }
    }
    if (!found) return -1 - <i32>oi;
  }
  return 0;
}

@inline function inPlace(place: usize, k: u32, p: u32): bool {
  for (let j: u32 = 0; j < k; j++) if (load<u32>(place + (<usize>j << 2)) == p) return true;
  return false;
}

export { HEAP_BASE };
