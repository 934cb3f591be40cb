// Loads, compiles (once) and instantiates the AssemblyScript kernels in build/.
// Kernels use the raw ABI: numbers and pointers into one scratch region per
// instance, no managed objects, so no loader glue is needed (see README).
import { readFileSync } from 'node:fs';

export type KernelName = 'crc32c' | 'mxfp4' | 'validate' | 'mph' | 'moe' | 'dense' | 'gaussian' | 'linalg';

const modules = new Map<KernelName, Promise<WebAssembly.Module>>();

function compile(name: KernelName): Promise<WebAssembly.Module> {
  let m = modules.get(name);
  if (!m) {
    const url = new URL(`../../../build/${name}.wasm`, import.meta.url);
    // a synchronous read: a kernel is a few kB, and fs/promises would load ~15 more
    // of Node's modules (streams, readline) on every thread that needs a kernel
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(url);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return Promise.reject(new Error(
        `WebAssembly kernel '${name}' is missing (${url.pathname}): run 'npm run build' first (${err.code ?? err.message})`,
      ));
    }
    m = WebAssembly.compile(bytes);
    modules.set(name, m);
  }
  return m;
}

const SCRATCH_ALIGN = 64;
const PAGE = 65536;

/** `x` rounded up to the scratch alignment (64 bytes: a cache line, and any typed array's element size). */
export function alignScratch(x: number): number {
  return Math.ceil(x / SCRATCH_ALIGN) * SCRATCH_ALIGN;
}

/** One instance of a kernel module with a growable scratch region after its static data. */
export class Kernel<E extends Record<string, unknown>> {
  readonly exports: E;
  readonly memory: WebAssembly.Memory;
  readonly base: number;
  #u8: Uint8Array;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as E;
    this.memory = instance.exports.memory as WebAssembly.Memory;
    const init = instance.exports._initialize as (() => void) | undefined;
    if (init) init();
    const heapBase = instance.exports.HEAP_BASE as () => number;
    this.base = alignScratch(heapBase() >>> 0);
    this.#u8 = new Uint8Array(this.memory.buffer);
  }

  /** Ensures `bytes` of scratch exist after the static data; returns the scratch pointer. */
  scratch(bytes: number): number {
    const need = this.base + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    return this.base;
  }

  /**
   * Lays out named regions of the given byte sizes back to back in the scratch,
   * each starting on the scratch alignment, and grows the memory to hold them.
   * Returns each region's pointer.
   */
  regions<N extends string>(sizes: readonly (readonly [N, number])[]): Record<N, number> {
    const at = {} as Record<N, number>;
    let end = 0;
    for (const [name, size] of sizes) {
      at[name] = end;
      end = alignScratch(end + size);
    }
    const base = this.scratch(end);
    for (const [name] of sizes) at[name] += base;
    return at;
  }

  /** A byte view of the whole memory (re-created after growth). */
  get u8(): Uint8Array {
    if (this.#u8.buffer !== this.memory.buffer) this.#u8 = new Uint8Array(this.memory.buffer);
    return this.#u8;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr >>> 0, length);
  }

  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr >>> 0, length);
  }
}

const instances = new Map<KernelName, Promise<Kernel<any>>>();

/**
 * The shared instance of a kernel (compiled and instantiated once per process).
 * `env` adds host functions the kernel imports (the same on every call for a name).
 */
export function kernel<E extends Record<string, unknown>>(name: KernelName, env: Record<string, (...args: number[]) => number> = {}): Promise<Kernel<E>> {
  let k = instances.get(name);
  if (!k) {
    const imports = {
      env: {
        ...env,
        abort(_msg: number, _file: number, line: number, col: number) {
          throw new Error(`wasm kernel '${name}' aborted at ${line}:${col}`);
        },
      },
    };
    k = compile(name).then(async (mod) => {
      compiled.set(name, { mod, imports });
      return new Kernel<E>(await WebAssembly.instantiate(mod, imports));
    });
    instances.set(name, k);
  }
  return k as Promise<Kernel<E>>;
}

const compiled = new Map<KernelName, { mod: WebAssembly.Module; imports: Record<string, Record<string, unknown>> }>();

/**
 * A fresh instance of a loaded kernel, which the cache hands out from now on: a
 * wasm memory never shrinks, so a kernel that grew for one big stage is replaced
 * to give that memory back (the old instance is collected once unreferenced).
 */
function renewKernel<E extends Record<string, unknown>>(name: KernelName): Kernel<E> {
  const c = compiled.get(name);
  if (!c) throw new Error(`wasm kernel '${name}' is not loaded`);
  const k = new Kernel<E>(new WebAssembly.Instance(c.mod, c.imports));
  instances.set(name, Promise.resolve(k));
  return k;
}

/**
 * A wrapper's hold on its kernel: `load()` once (async), then the synchronous
 * functions take the instance with `get()`, which says how to load it when it is not.
 */
export class KernelSlot<E extends Record<string, unknown>> {
  /** The instance, once loaded (wrappers with a TypeScript fallback test this). */
  current: Kernel<E> | undefined;
  readonly #name: KernelName;
  readonly #hint: string;
  readonly #env: Record<string, (...args: number[]) => number>;
  readonly #init: ((k: Kernel<E>) => void) | undefined;

  /**
   * `hint` ends the not-loaded error (`await loadX() first`); `init` runs once on
   * the instance before it is handed out (ABI checks, constants read from exports).
   */
  constructor(name: KernelName, hint: string, opts: { env?: Record<string, (...args: number[]) => number>; init?: (k: Kernel<E>) => void } = {}) {
    this.#name = name;
    this.#hint = hint;
    this.#env = opts.env ?? {};
    this.#init = opts.init;
  }

  async load(): Promise<void> {
    if (this.current) return;
    const k = await kernel<E>(this.#name, this.#env);
    this.#init?.(k);
    this.current = k;
  }

  get loaded(): boolean {
    return this.current !== undefined;
  }

  get(): Kernel<E> {
    if (!this.current) throw new Error(`${this.#name} kernel not loaded: ${this.#hint}`);
    return this.current;
  }

  /** Replaces the instance with a fresh one (renewKernel) and returns it. */
  renew(): Kernel<E> {
    this.current = renewKernel<E>(this.#name);
    return this.current;
  }
}

/** Chunk size used by wrappers that stream large inputs through scratch memory. */
export const CHUNK_BYTES = 8 * 1024 * 1024;
