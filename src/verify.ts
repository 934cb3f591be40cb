// Package verification: every array file re-read and checked against its own
// header (magic, sizes, padding, crc32c, sha256_low64), every manifest entry
// against the file it names, and every sera_state.json artefact record.
import { join } from 'node:path';
import { exists, isDirectory, listDir, readFile, ReadHandle } from './io/fs.js';
import { checkArrayFile, readArrayHeader, ARRAY_MAGIC, PAYLOAD_OFFSET, type ArrayCheck, type ArrayRecord } from './format/array-file.js';
import { DTYPE_CODES } from './format/dtypes.js';
import { decodeManifest, entryName, isTableName, byTableNumber, ARRAY_KINDS, MANIFEST_MAGIC, SECTION_NAMES, type Manifest } from './format/manifest.js';
import { parseJsonBytes } from './format/json-parse.js';
import { toHexDigest, sha256Low64 } from './format/hash.js';

export interface VerifyOptions {
  /** Use these manifest bytes instead of reading the file (the converter's self-check). */
  manifestBytes?: Uint8Array;
  /** Collects the per-array checks (for reports). */
  checks?: ArrayCheck[];
}

const eq16 = (a: Uint8Array, b: Uint8Array) => a.length >= 16 && b.length >= 16 && a.subarray(0, 16).every((x, i) => x === b[i]);

/** Returns one line per problem, each naming the file and the field (empty when the package is valid). */
export function verifyPackage(dir: string, opts: VerifyOptions = {}): string[] {
  const problems: string[] = [];
  const arraysDir = join(dir, 'arrays');
  const checks = new Map<string, ArrayCheck>();
  if (isDirectory(arraysDir)) {
    for (const f of listDir(arraysDir).sort()) {
      if (!f.endsWith('.bin')) continue;
      const name = f.slice(0, -4);
      const c = checkArrayFile(join(arraysDir, f));
      checks.set(name, c);
      opts.checks?.push(c);
      for (const p of c.problems) problems.push(`arrays/${f}: ${p}`);
    }
  } else {
    problems.push('arrays/: folder is missing');
  }

  let manifest: Manifest | null = null;
  const mpath = join(dir, 'sera_manifest.bin');
  try {
    const bytes = opts.manifestBytes ?? readFile(mpath);
    manifest = decodeManifest(bytes, 'sera_manifest.bin');
    if (manifest.sections.header!.magic !== MANIFEST_MAGIC) {
      problems.push(`sera_manifest.bin: header.magic: expected 0x${MANIFEST_MAGIC.toString(16)}, found 0x${(manifest.sections.header!.magic as number).toString(16)}`);
    }
  } catch (e) {
    problems.push(exists(mpath) || opts.manifestBytes ? `sera_manifest.bin: ${(e as Error).message}` : 'sera_manifest.bin: file is missing');
  }

  if (manifest) {
    const tables = [...checks.entries()].filter(([n]) => isTableName(n)).sort((a, b) => byTableNumber(a[0], b[0]));
    const unmatchedTables = new Set(tables.map(([n]) => n));
    const seen = new Set<string>();
    manifest.entries.forEach((e, i) => {
      const where = `sera_manifest.bin: arrays[${i}] (${SECTION_NAMES[e.section] ?? `section ${e.section}`}, kind ${e.kind})`;
      if (e.section === 1 && e.kind === 2) {
        const match = tables.find(([n, c]) => unmatchedTables.has(n) && c.sha256 && BigInt(c.payloadBytes) === e.length && eq16(c.sha256, e.digest));
        if (!match) problems.push(`${where}: length/digest match no remaining arrays/T_<n>.bin`);
        else unmatchedTables.delete(match[0]);
        return;
      }
      const name = entryName(e);
      if (!name) { problems.push(`${where}: names no known array`); return; }
      if (seen.has(name)) { problems.push(`${where}: second entry for ${name}`); return; }
      seen.add(name);
      const c = checks.get(name);
      if (!c || !c.sha256) { problems.push(`${where}: arrays/${name}.bin is missing or unreadable`); return; }
      if (BigInt(c.payloadBytes) !== e.length) problems.push(`${where}: length ${e.length} != arrays/${name}.bin payload ${c.payloadBytes}`);
      if (!eq16(c.sha256, e.digest)) problems.push(`${where}: digest ${toHexDigest(e.digest)} != arrays/${name}.bin sha256[0:16] ${toHexDigest(c.sha256.subarray(0, 16))}`);
    });
    for (const n of Object.keys(ARRAY_KINDS)) {
      if (checks.has(n) && !seen.has(n)) problems.push(`sera_manifest.bin: no entry for arrays/${n}.bin`);
    }
    for (const n of unmatchedTables) problems.push(`sera_manifest.bin: no entry for arrays/${n}.bin`);
  }

  problems.push(...verifyMxfp4Shards(dir, opts.checks));

  const spath = join(dir, 'sera_state.json');
  if (!exists(spath)) {
    problems.push('sera_state.json: file is missing');
  } else {
    try {
      const state = parseJsonBytes(readFile(spath));
      const artefacts = state instanceof Map ? state.get('artefacts') : undefined;
      if (!(artefacts instanceof Map)) {
        problems.push("sera_state.json: no 'artefacts' object");
      } else {
        for (const [name, info] of artefacts) {
          const c = checks.get(name);
          if (!(info instanceof Map)) { problems.push(`sera_state.json: artefacts.${name} is not an object`); continue; }
          if (!c || !c.sha256) { problems.push(`sera_state.json: artefacts.${name}: arrays/${name}.bin is missing`); continue; }
          if (info.get('bytes') !== BigInt(c.payloadBytes)) problems.push(`sera_state.json: artefacts.${name}.bytes ${String(info.get('bytes'))} != payload ${c.payloadBytes}`);
          if (info.get('sha256') !== toHexDigest(c.sha256)) problems.push(`sera_state.json: artefacts.${name}.sha256 does not match arrays/${name}.bin`);
        }
      }
    } catch (e) {
      problems.push(`sera_state.json: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** arrays/mxfp4/: every shard file valid on its own and recorded in index.json with its size and SHA-256. */
function verifyMxfp4Shards(dir: string, sink?: ArrayCheck[]): string[] {
  const shardDir = join(dir, 'arrays', 'mxfp4');
  if (!isDirectory(shardDir)) return [];
  const problems: string[] = [];
  const files = new Map<string, ArrayCheck>();
  for (const f of listDir(shardDir).sort()) {
    if (!f.endsWith('.bin')) continue;
    const c = checkArrayFile(join(shardDir, f));
    sink?.push(c);
    files.set(`arrays/mxfp4/${f}`, c);
    for (const p of c.problems) problems.push(`arrays/mxfp4/${f}: ${p}`);
  }
  const indexPath = join(shardDir, 'index.json');
  if (!exists(indexPath)) return [...problems, 'arrays/mxfp4/index.json: file is missing'];
  const listed = new Set<string>();
  try {
    const index = parseJsonBytes(readFile(indexPath));
    const tensors = index instanceof Map ? index.get('tensors') : undefined;
    if (!Array.isArray(tensors)) return [...problems, "arrays/mxfp4/index.json: no 'tensors' list"];
    for (const t of tensors) {
      for (const part of ['blocks', 'scales']) {
        const rec = t instanceof Map ? t.get(part) : undefined;
        const file = rec instanceof Map ? rec.get('file') : undefined;
        if (typeof file !== 'string') { problems.push(`arrays/mxfp4/index.json: an entry lacks ${part}.file`); continue; }
        listed.add(file);
        const c = files.get(file);
        if (!c || !c.sha256) { problems.push(`arrays/mxfp4/index.json: ${file} is missing`); continue; }
        if ((rec as Map<string, unknown>).get('bytes') !== BigInt(c.payloadBytes)) problems.push(`arrays/mxfp4/index.json: ${file} bytes differ from the file`);
        if ((rec as Map<string, unknown>).get('sha256') !== toHexDigest(c.sha256)) problems.push(`arrays/mxfp4/index.json: ${file} sha256 differs from the file`);
      }
    }
  } catch (e) {
    problems.push(`arrays/mxfp4/index.json: ${(e as Error).message}`);
  }
  for (const f of files.keys()) if (!listed.has(f)) problems.push(`${f}: not listed in arrays/mxfp4/index.json`);
  return problems;
}

/**
 * The converter's self-check before it commits a package: every file written
 * has the size and header its record says (magic, dtype, dims, byte_len, CRC-32C,
 * sha256_low64), and the manifest's entries match the records. The payloads were
 * hashed while being written, so they are not read again (`verify` does that).
 */
export function selfCheck(dir: string, records: ArrayRecord[], manifestBytes: Uint8Array): string[] {
  const problems: string[] = [];
  for (const r of records) {
    const rel = r.path.startsWith(dir) ? r.path.slice(dir.length + 1) : r.path;
    const h = readHeaderOnly(r.path);
    if (!h) { problems.push(`${rel}: unreadable header`); continue; }
    const { header, size } = h;
    if (size !== PAYLOAD_OFFSET + r.bytes) problems.push(`${rel}: file size ${size}, expected ${PAYLOAD_OFFSET + r.bytes}`);
    if (header.magic !== ARRAY_MAGIC || header.dtypeCode !== DTYPE_CODES[r.dtype] || header.byteLen !== BigInt(r.bytes)) problems.push(`${rel}: header does not match what was written`);
    if (header.rank !== r.shape.length || r.shape.some((d, i) => i < 5 && header.dims[i] !== BigInt(d))) problems.push(`${rel}: header dims do not match the shape`);
    if (header.sha256Low64 !== sha256Low64(r.sha256)) problems.push(`${rel}: header sha256_low64 does not match the payload digest`);
    if (r.crc32c !== undefined && header.crc32c !== r.crc32c) problems.push(`${rel}: header crc32c does not match the payload`);
  }
  try {
    const m = decodeManifest(manifestBytes, 'sera_manifest.bin');
    const byName = new Map(records.map((r) => [r.name, r]));
    const tables = records.filter((r) => isTableName(r.name));
    let t = 0;
    m.entries.forEach((e, i) => {
      const r = e.section === 1 && e.kind === 2 ? tables[t++] : byName.get(entryName(e) ?? '');
      if (!r || BigInt(r.bytes) !== e.length || !eq16(r.sha256, e.digest)) problems.push(`sera_manifest.bin: arrays[${i}] does not match the written array`);
    });
  } catch (e) {
    problems.push(`sera_manifest.bin: ${(e as Error).message}`);
  }
  return problems;
}

function readHeaderOnly(path: string): ReturnType<typeof readArrayHeader> {
  try {
    const fh = new ReadHandle(path);
    try {
      return readArrayHeader(fh);
    } finally {
      fh.close();
    }
  } catch {
    return null;
  }
}
