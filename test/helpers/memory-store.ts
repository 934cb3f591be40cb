// An in-memory RawStore for tensor and stage tests: each tensor's bytes, read as
// a checkpoint reads them (into the caller's buffer when one is given).
import type { RawStore } from '../../src/model/tensors.js';
import type { StDtype, TensorInfo } from '../../src/io/safetensors.js';

export class MemoryStore implements RawStore {
  readonly #infos = new Map<string, TensorInfo>();
  readonly #data = new Map<string, Uint8Array>();

  constructor(entries: [string, StDtype, number[], Uint8Array][] = []) {
    for (const e of entries) this.add(...e);
  }

  add(name: string, dtype: StDtype, shape: number[], bytes: Uint8Array): TensorInfo {
    const info: TensorInfo = { name, dtype, shape, file: 'mem', offset: 0, byteLength: bytes.length };
    this.#infos.set(name, info);
    this.#data.set(name, bytes);
    return info;
  }

  names(): string[] {
    return [...this.#infos.keys()];
  }

  get(name: string): TensorInfo | undefined {
    return this.#infos.get(name);
  }

  read(info: TensorInfo, start = 0, length = info.byteLength - start, into?: Uint8Array): Uint8Array {
    const b = this.#data.get(info.name)!.subarray(start, start + length);
    if (!into) return b.slice();
    into.set(b);
    return into.subarray(0, length);
  }
}
