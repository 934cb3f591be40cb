// `sera-transfer inspect DIR`: the manifest sections and a table of the arrays.
import { join } from 'node:path';
import { isDirectory, listDir, readFile } from '../io/fs.js';
import { resolvePath } from '../io/paths.js';
import { loadCrc32c } from '../kernels/crc32c.js';
import { decodeManifest, MANIFEST_LAYOUT, SECTION_NAMES, entryName } from '../format/manifest.js';
import { checkArrayFile } from '../format/array-file.js';
import { toHexDigest } from '../format/hash.js';
import { dumps } from '../format/pyjson.js';
import { dict, int, type PyDict, type PyValue } from '../format/pyvalue.js';
import { UsageError } from '../errors.js';
import type { CliIO } from './main.js';

function fieldValue(v: number | bigint | Uint8Array): PyValue {
  if (v instanceof Uint8Array) return toHexDigest(v);
  if (typeof v === 'bigint') return v;
  return Number.isInteger(v) ? int(v) : v;
}

export async function inspectCommand(dirArg: string, json: boolean, io: CliIO): Promise<number> {
  await loadCrc32c(); // the array checks verify CRC32C checksums
  const dir = resolvePath(dirArg);
  if (!isDirectory(dir)) throw new UsageError(`${dir} is not a folder`, 'pass the output folder of a conversion');
  const m = decodeManifest(readFile(join(dir, 'sera_manifest.bin')), join(dir, 'sera_manifest.bin'));
  const arraysDir = join(dir, 'arrays');
  const arrays = (isDirectory(arraysDir) ? listDir(arraysDir) : []).filter((f) => f.endsWith('.bin')).sort().map((f) => {
    const c = checkArrayFile(join(arraysDir, f));
    return { name: f.slice(0, -4), dtype: c.dtype ?? `code${c.header?.dtypeCode}`, shape: c.shape, bytes: c.payloadBytes, sha256: c.sha256 ? toHexDigest(c.sha256) : '' };
  });
  if (json) {
    const sections: PyDict = new Map();
    for (const [name] of MANIFEST_LAYOUT) {
      const f: PyDict = new Map();
      for (const [k, v] of Object.entries(m.sections[name]!)) f.set(k, fieldValue(v));
      sections.set(name, f);
    }
    const entries = m.entries.map((e) => dict({ section: int(e.section), kind: int(e.kind), name: entryName(e) ?? 'T_*', length: e.length, digest: toHexDigest(e.digest) }));
    io.stdout.write(dumps(dict({
      package: dir, manifest: sections, entries,
      arrays: arrays.map((a) => dict({ name: a.name, dtype: a.dtype, shape: a.shape.map((d) => int(d)), bytes: int(a.bytes), sha256: a.sha256 })),
    })) + '\n');
    return 0;
  }
  const out: string[] = [`Sera package ${dir}`, '', 'Manifest:'];
  for (const [name] of MANIFEST_LAYOUT) {
    const fields = Object.entries(m.sections[name]!).map(([k, v]) => `${k}=${v instanceof Uint8Array ? toHexDigest(v) : String(v)}`);
    out.push(`  ${name.padEnd(16)} ${fields.join(' ')}`);
  }
  out.push('', `Array table (${m.entries.length} entries):`);
  for (const e of m.entries) {
    out.push(`  ${(SECTION_NAMES[e.section] ?? String(e.section)).padEnd(9)} kind ${String(e.kind).padStart(2)}  ${(entryName(e) ?? 'T_*').padEnd(16)} ${String(e.length).padStart(10)}  ${toHexDigest(e.digest)}`);
  }
  const nw = Math.max(4, ...arrays.map((a) => a.name.length));
  out.push('', 'Arrays:', `  ${'Name'.padEnd(nw)}  DType  ${'Shape'.padEnd(14)} ${'Bytes'.padStart(10)}  SHA-256`);
  for (const a of arrays) {
    out.push(`  ${a.name.padEnd(nw)}  ${a.dtype.padEnd(5)}  ${(a.shape.join(' x ') || 'scalar').padEnd(14)} ${String(a.bytes).padStart(10)}  ${a.sha256}`);
  }
  io.stdout.write(out.join('\n') + '\n');
  return 0;
}
