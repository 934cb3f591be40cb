// sera_manifest.bin codec (FORMAT.md §3): 16 fixed sections (428 bytes) then the
// array table (4 + 28·E bytes). Table-driven so encode and decode cannot drift.
import { FormatError } from '../errors.js';

type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'f32' | 'd128' | 'pad3' | 'pad7';

const SIZES: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, f32: 4, d128: 16, pad3: 3, pad7: 7 };

/** Section name → ordered [field, type] list. */
export const MANIFEST_LAYOUT = [
  ['header', [['magic', 'u32'], ['endian', 'u8'], ['abi_flags', 'u8'], ['reserved', 'u16'], ['seed_digest', 'd128'], ['schema_digest', 'd128']]],
  ['tokenizer', [['l_tok', 'u16'], ['s_norm', 'u16'], ['l_norm', 'u16'], ['reserved', 'u16'], ['p_gen', 'u32'], ['fst_digest', 'd128'], ['unicode_policy', 'u8'], ['_pad', 'pad3']]],
  ['prf', [['r', 'u32'], ['tau', 'f32'], ['whitening_eps', 'f32'], ['clip_c', 'f32']]],
  ['denominator', [['beta_floor', 'f32'], ['lambda_digest', 'd128']]],
  ['linear', [['capacity', 'u64'], ['d_model', 'u32'], ['bucket_size', 'u32'], ['stash_size', 'u32'], ['cuckoo_l', 'u32'], ['ring_q', 'u32'], ['tau_low', 'f32'], ['tau_high', 'f32']]],
  ['memory', [['mode', 'u8'], ['p', 'u8'], ['q', 'u8'], ['L', 'u8'], ['t_phi', 'u32'], ['k', 'u32'], ['pole_radius_min', 'f32']]],
  ['overlays', [['slots', 'u32'], ['head_dim', 'u32'], ['rank_v', 'u32']]],
  ['corrector', [['gamma_target', 'f32'], ['m_target', 'f32'], ['norm_def', 'u8'], ['_pad', 'pad3']]],
  ['bridge', [['k_legs', 'u8'], ['window', 'u8'], ['reserved', 'u16'], ['proj_rows', 'u32'], ['proj_cols', 'u32'], ['proj_digest', 'd128'],
    ['beta_min', 'f32'], ['beta_max', 'f32'], ['guard_margin', 'f32'], ['guard_eps_row', 'f32'], ['load_max', 'f32'], ['stash_max', 'f32'], ['kick_max', 'f32']]],
  ['search', [['a_max', 'f32'], ['a_cap', 'f32'], ['h_sel', 'f32'], ['h_roll', 'f32'], ['c_puct', 'f32'], ['epsilon', 'f32'], ['value_loss', 'f32']]],
  ['capacity', [['lambda_hat', 'f32'], ['t_rb_ms', 'f32'], ['slack', 'f32'], ['margin', 'f32']]],
  ['salts', [['mphf', 'd128'], ['key', 'd128'], ['trust_gate', 'd128']]],
  ['hashes', [['previous', 'd128'], ['current', 'd128']]],
  ['fp_contract', [['fma_mode', 'u8'], ['denormals_mode', 'u8'], ['ext_precision', 'u8'], ['reserved', 'u8'], ['reductions_digest', 'd128']]],
  ['optional_modules', [['flags', 'u32']]],
  ['trust_gate', [['enabled', 'u8'], ['_pad', 'pad7'], ['profile_digest', 'd128'], ['salts_digest', 'd128']]],
] as const satisfies readonly (readonly [string, readonly (readonly [string, FieldType])[]])[];

export const FIXED_BYTES = MANIFEST_LAYOUT.reduce((n, [, fields]) => n + fields.reduce((m, [, t]) => m + SIZES[t], 0), 0);
export const ENTRY_BYTES = 28;
export const MANIFEST_MAGIC = 0x5345524d;

export type FieldValue = number | bigint | Uint8Array;
export type ManifestSections = Record<string, Record<string, FieldValue>>;

export interface ManifestEntry {
  section: number;
  kind: number;
  length: bigint;
  /** SHA-256 bytes 0..16 of the payload. */
  digest: Uint8Array;
}

export interface Manifest {
  sections: ManifestSections;
  reservedTable: number;
  entries: ManifestEntry[];
}

export function encodeManifest(m: Manifest): Uint8Array {
  if (m.entries.length > 0xffff) throw new FormatError(`manifest array table holds at most 65535 entries, got ${m.entries.length}`);
  const out = new Uint8Array(FIXED_BYTES + 4 + ENTRY_BYTES * m.entries.length);
  const v = new DataView(out.buffer);
  let off = 0;
  for (const [section, fields] of MANIFEST_LAYOUT) {
    const values = m.sections[section] ?? {};
    for (const [field, type] of fields) {
      const x = values[field];
      switch (type) {
        case 'u8': v.setUint8(off, Number(x ?? 0)); break;
        case 'u16': v.setUint16(off, Number(x ?? 0), true); break;
        case 'u32': v.setUint32(off, Number(x ?? 0), true); break;
        case 'u64': v.setBigUint64(off, BigInt((x as number | bigint | undefined) ?? 0), true); break;
        case 'f32': v.setFloat32(off, Number(x ?? 0), true); break;
        case 'd128': out.set((x as Uint8Array | undefined) ?? new Uint8Array(16), off); break;
        default: break; // padding stays zero
      }
      off += SIZES[type];
    }
  }
  v.setUint16(off, m.entries.length, true);
  v.setUint16(off + 2, m.reservedTable, true);
  off += 4;
  for (const e of m.entries) {
    v.setUint16(off, e.section, true);
    v.setUint16(off + 2, e.kind, true);
    v.setBigUint64(off + 4, e.length, true);
    out.set(e.digest.subarray(0, 16), off + 12);
    off += ENTRY_BYTES;
  }
  return out;
}

export function decodeManifest(bytes: Uint8Array, file?: string): Manifest {
  if (bytes.length < FIXED_BYTES + 4) {
    throw new FormatError(`manifest is ${bytes.length} bytes, shorter than the ${FIXED_BYTES + 4}-byte fixed part`, file,
      'the file is truncated or not a sera_manifest.bin; re-run the conversion');
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sections: ManifestSections = {};
  let off = 0;
  for (const [section, fields] of MANIFEST_LAYOUT) {
    const values: Record<string, FieldValue> = {};
    for (const [field, type] of fields) {
      switch (type) {
        case 'u8': values[field] = v.getUint8(off); break;
        case 'u16': values[field] = v.getUint16(off, true); break;
        case 'u32': values[field] = v.getUint32(off, true); break;
        case 'u64': values[field] = v.getBigUint64(off, true); break;
        case 'f32': values[field] = v.getFloat32(off, true); break;
        case 'd128': values[field] = bytes.slice(off, off + 16); break;
        default: break;
      }
      off += SIZES[type];
    }
    sections[section] = values;
  }
  const count = v.getUint16(off, true);
  const reservedTable = v.getUint16(off + 2, true);
  off += 4;
  const want = off + ENTRY_BYTES * count;
  if (bytes.length !== want) {
    throw new FormatError(`manifest array table declares ${count} entries (${want} bytes in all), file has ${bytes.length} bytes`, file,
      'the file is truncated or has trailing data; re-run the conversion or `sera-transfer rebuild`');
  }
  const entries: ManifestEntry[] = [];
  for (let i = 0; i < count; i++) {
    entries.push({
      section: v.getUint16(off, true),
      kind: v.getUint16(off + 2, true),
      length: v.getBigUint64(off + 4, true),
      digest: bytes.slice(off + 12, off + 28),
    });
    off += ENTRY_BYTES;
  }
  return { sections, reservedTable, entries };
}

/** (section, kind) of each array in the table (FORMAT.md §3.19); T_<n> tables share (1, 2). */
export const ARRAY_KINDS: Record<string, [number, number]> = {
  tokenizer_fst: [1, 1],
  prf_W: [2, 10],
  whitening_mu: [2, 11],
  whitening_sig2: [2, 12],
  overlays_H: [3, 20],
  overlays_U: [3, 21],
  overlays_DeltaW: [3, 22],
  linear_mphf: [4, 30],
  linear_keys: [4, 31],
  linear_weights: [4, 32],
  linear_bias: [4, 33],
  cuckoo_delta: [4, 34],
  memory_coeff: [5, 40],
  delaybuf_init: [5, 41],
  bridge_hubs: [6, 50],
  bridge_qDin: [6, 51],
  bridge_qDout: [6, 52],
  peer_scores: [6, 53],
};
export const TOKENIZER_TABLE_KIND: [number, number] = [1, 2];
export const SECTION_NAMES: Record<number, string> = {
  1: 'TOKENIZER', 2: 'PRF', 3: 'OVERLAYS', 4: 'LINEAR', 5: 'MEMORY', 6: 'BRIDGE', 7: 'CAPACITY', 8: 'SEARCH', 9: 'TRUST',
};

/** True for the tokenizer's T_<n> tables (they share one (section, kind)). */
export function isTableName(name: string): boolean {
  return /^T_\d+$/.test(name);
}

/** T_<n> names ordered by n: their write order, which the manifest keeps. */
export function byTableNumber(a: string, b: string): number {
  return Number(a.slice(2)) - Number(b.slice(2));
}

/** The array name an entry refers to (T_<n> tables are resolved by the caller by digest). */
export function entryName(e: ManifestEntry): string | undefined {
  for (const [name, [s, k]] of Object.entries(ARRAY_KINDS)) if (s === e.section && k === e.kind) return name;
  return undefined;
}
