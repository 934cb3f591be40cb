// Test helpers: writes safetensors files (valid or deliberately broken) to a temp folder.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';

export function tempDir(tag: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `sera-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

export function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function u64le(n: bigint | number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

/** Raw file: 8-byte length (of `header`, unless `claim` overrides), header text/bytes, data. */
export function stBytes(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), claim?: bigint | number): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  return concat(u64le(claim ?? h.length), h, data);
}

export interface TensorSpec {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** A valid file with tensors laid out in the given order (header key order too). */
export function buildSt(tensors: Record<string, TensorSpec> | [string, TensorSpec][], metadata?: Record<string, string>): Uint8Array {
  const entries = Array.isArray(tensors) ? tensors : Object.entries(tensors);
  const parts: string[] = [];
  if (metadata) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let off = 0;
  const datas: Uint8Array[] = [];
  for (const [name, t] of entries) {
    parts.push(`${JSON.stringify(name)}:{"dtype":${JSON.stringify(t.dtype)},"shape":${JSON.stringify(t.shape)},"data_offsets":[${off},${off + t.data.length}]}`);
    off += t.data.length;
    datas.push(t.data);
  }
  let header = `{${parts.join(',')}}`;
  header += ' '.repeat((8 - (header.length % 8)) % 8); // as the crate pads
  return stBytes(header, concatAll(datas));
}

export function writeAt(dir: string, name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
  return p;
}

export function bytesOf(arr: ArrayBufferView): Uint8Array {
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
}
