// Helpers for the property tests: deterministic runs with a case count and
// timing, the "typed error or valid result" oracle, and mutation arbitraries
// (bytes and JSON tokens) that start from valid corpus files.
import fc from 'fast-check';

/** Fixed seed: every run explores the same cases (a failure reproduces). */
export const SEED = 0x5e7a7f;

export interface PropertyStats {
  name: string;
  cases: number;
  accepted: number;
  refused: number;
  ms: number;
  slowestMs: number;
}

export const allStats: PropertyStats[] = [];

/** A typed refusal (SeraError subclass or a parser's own error class); anything else is a crash. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Checks `check(input)` on `numRuns` generated inputs. `check` returns normally
 * for a valid result and may throw only an instance of `refusals`; any other
 * exception, or a case slower than `maxCaseMs`, fails the property.
 */
export function runProperty<T>(name: string, arb: fc.Arbitrary<T>, refusals: ErrorClass[], check: (input: T) => void,
  opts: { numRuns: number; maxCaseMs?: number }): PropertyStats {
  const s: PropertyStats = { name, cases: 0, accepted: 0, refused: 0, ms: 0, slowestMs: 0 };
  const maxCaseMs = opts.maxCaseMs ?? 1000;
  const t0 = performance.now();
  fc.assert(fc.property(arb, (input) => {
    const c0 = performance.now();
    let refused = false;
    try {
      check(input);
    } catch (e) {
      if (!refusals.some((k) => e instanceof k)) {
        throw new Error(`crash: ${(e as Error)?.constructor?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
      }
      refused = true;
    }
    const dt = performance.now() - c0;
    if (dt > maxCaseMs) throw new Error(`case took ${dt.toFixed(0)} ms (limit ${maxCaseMs} ms): a hang`);
    s.cases++;
    if (refused) s.refused++; else s.accepted++;
    s.slowestMs = Math.max(s.slowestMs, dt);
  }), { seed: SEED, numRuns: opts.numRuns, endOnFailure: true, includeErrorInReport: true });
  s.ms = performance.now() - t0;
  allStats.push(s);
  console.log(`[fuzz] ${name}: ${s.cases} cases (${s.accepted} accepted, ${s.refused} refused) in ${s.ms.toFixed(0)} ms, slowest case ${s.slowestMs.toFixed(1)} ms`);
  return s;
}

type ByteOp =
  | { k: 'set'; pos: number; val: number; hot: boolean }
  | { k: 'flip'; pos: number; bit: number; hot: boolean }
  | { k: 'truncate'; pos: number }
  | { k: 'append'; bytes: Uint8Array }
  | { k: 'insert'; pos: number; bytes: Uint8Array; hot: boolean }
  | { k: 'delete'; pos: number; n: number; hot: boolean }
  | { k: 'u64'; pos: number; value: bigint; hot: boolean };

const pos = fc.nat({ max: 1 << 24 });
const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('set' as const), pos, val: fc.integer({ min: 0, max: 255 }), hot: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('flip' as const), pos, bit: fc.integer({ min: 0, max: 7 }), hot: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), pos }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('insert' as const), pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }), hot: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), pos, n: fc.integer({ min: 1, max: 16 }), hot: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('u64' as const), pos, hot: fc.boolean(), value: fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 4096n }),
    fc.constantFrom(0n, 1n, 7n, 8n, 0xffffffffn, 1n << 32n, 1n << 53n, (1n << 53n) + 1n, (1n << 63n), (1n << 64n) - 1n)) }) },
);

/** Applies byte mutations; `hot` ops land in the first `hotLength` bytes (the header). */
export function mutateBytes(src: Uint8Array, ops: ByteOp[], hotLength: number): Uint8Array {
  let b = src.slice();
  const at = (p: number, hot: boolean, len: number) => (len === 0 ? 0 : p % (hot ? Math.max(1, Math.min(hotLength, len)) : len));
  for (const op of ops) {
    switch (op.k) {
      case 'set': if (b.length) b[at(op.pos, op.hot, b.length)] = op.val; break;
      case 'flip': if (b.length) b[at(op.pos, op.hot, b.length)]! ^= 1 << op.bit; break;
      case 'truncate': b = b.slice(0, op.pos % (b.length + 1)); break;
      case 'append': { const n = new Uint8Array(b.length + op.bytes.length); n.set(b); n.set(op.bytes, b.length); b = n; break; }
      case 'insert': {
        const p = at(op.pos, op.hot, b.length + 1);
        const n = new Uint8Array(b.length + op.bytes.length);
        n.set(b.subarray(0, p)); n.set(op.bytes, p); n.set(b.subarray(p), p + op.bytes.length); b = n; break;
      }
      case 'delete': { const p = at(op.pos, op.hot, b.length); b = new Uint8Array([...b.subarray(0, p), ...b.subarray(p + op.n)]); break; }
      case 'u64': {
        if (b.length < 8) break;
        const p = at(op.pos, op.hot, b.length - 7) & ~7; // aligned, like every u64 field of the formats under test
        new DataView(b.buffer, b.byteOffset).setBigUint64(p, op.value, true);
        break;
      }
    }
  }
  return b;
}

export function byteMutations(maxOps = 4): fc.Arbitrary<ByteOp[]> {
  return fc.array(byteOp, { minLength: 1, maxLength: maxOps });
}

/** Interesting replacement tokens for JSON values. */
const NUMBER_TOKENS = ['0', '-1', '1', '2', '3', '7', '8', '16', '1.5', '-0', '1e308', '1e400', '-1e400', '4294967296', '9007199254740993',
  '18446744073709551615', '18446744073709551616', '99999999999999999999999999', 'NaN', 'Infinity', '-Infinity', 'null', 'true', '"12"', '[]', '{}', '""'];
const STRING_TOKENS = ['"F32"', '"BF16"', '"F16"', '"U8"', '"I64"', '"BOOL"', '"F4"', '"f32"', '""', '"__metadata__"', '"dtype"', '"shape"',
  '"data_offsets"', '"../x.safetensors"', '"/etc/passwd"', '"\\u0000"', '"\\ud800"', '0', 'null', '[]', '{"a":1}', '"x"'];

type TextOp =
  | { k: 'num'; which: number; tok: string }
  | { k: 'str'; which: number; tok: string }
  | { k: 'del'; pos: number; n: number }
  | { k: 'ins'; pos: number; s: string }
  | { k: 'dup'; pos: number; n: number };

const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('num' as const), which: fc.nat(), tok: fc.constantFrom(...NUMBER_TOKENS) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('str' as const), which: fc.nat(), tok: fc.constantFrom(...STRING_TOKENS) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('del' as const), pos: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ins' as const), pos: fc.nat(), s: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', ' ', '0', '-', 'e', '.', '"a":1,', ',"b":[]', '\u00e9', '\ud83d\ude00') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dup' as const), pos: fc.nat(), n: fc.integer({ min: 1, max: 80 }) }) },
);

/** Applies token-level mutations to JSON text (numbers and strings replaced, characters inserted, deleted, duplicated). */
export function mutateJsonText(text: string, ops: TextOp[]): string {
  let t = text;
  for (const op of ops) {
    if (op.k === 'num' || op.k === 'str') {
      const re = op.k === 'num' ? /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g : /"(?:[^"\\]|\\.)*"/g;
      const spans = [...t.matchAll(re)];
      if (!spans.length) continue;
      const m = spans[op.which % spans.length]!;
      t = t.slice(0, m.index!) + op.tok + t.slice(m.index! + m[0].length);
    } else if (op.k === 'del') {
      const p = op.pos % (t.length || 1);
      t = t.slice(0, p) + t.slice(p + op.n);
    } else if (op.k === 'ins') {
      const p = op.pos % (t.length + 1);
      t = t.slice(0, p) + op.s + t.slice(p);
    } else {
      const p = op.pos % (t.length || 1);
      t = t.slice(0, p) + t.slice(p, p + op.n) + t.slice(p);
    }
  }
  return t;
}

export function textMutations(maxOps = 3): fc.Arbitrary<TextOp[]> {
  return fc.array(textOp, { minLength: 1, maxLength: maxOps });
}
