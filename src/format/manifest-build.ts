// Builds the manifest the reference's write_manifest() writes (FORMAT.md §3),
// from the written arrays' digests and the conversion's settings.
import { digest128, sha256 } from './hash.js';
import { ARRAY_KINDS, TOKENIZER_TABLE_KIND, MANIFEST_MAGIC, type Manifest, type ManifestEntry } from './manifest.js';
import { StageError } from '../errors.js';

export interface ArrayDigestInfo {
  bytes: number;
  /** Full SHA-256 of the payload. */
  sha256: Uint8Array;
}

export interface ManifestInputs {
  /** Written arrays in write order (name → digest). */
  arrays: Map<string, ArrayDigestInfo>;
  dModel: number;
  nHeads: number;
  headDim: number;
  tau: number;
  r: number;
  rv: number;
  /** cfg.vocab_size or 16. */
  vocabSize: number;
  assumeFma: boolean;
  assumeFtz: boolean;
  /** Full 32-byte salts: the linear stage's, and the trust gate's (pipeline/metadata.ts trustGate()). */
  salts: { mphf?: Uint8Array; key?: Uint8Array; trustGate: Uint8Array };
  /** The bridge module state convert passes (undefined = derive from the arrays). */
  bridgeState: boolean | undefined;
}

/** SHA-256("sera"): the schema digest the corpus shows (the reference's CWD-dependent file lookup is pinned). */
const SCHEMA_DIGEST = digest128('sera');
const ZERO16 = new Uint8Array(16);

export function buildManifest(inp: ManifestInputs): Manifest {
  const a = inp.arrays;
  const abi = (inp.assumeFma ? 1 : 0) | (inp.assumeFtz ? 2 : 0);
  const d = (name: string) => (a.has(name) ? a.get(name)!.sha256.subarray(0, 16) : ZERO16);
  const present = (name: string) => a.has(name) && a.get(name)!.bytes > 0;

  const bridgePresent = ['bridge_hubs', 'bridge_qDin', 'bridge_qDout'].every(present);
  if (inp.bridgeState === true && !bridgePresent) throw new StageError('bridge module enabled but arrays are missing');
  const bridgeOn = inp.bridgeState ?? bridgePresent;
  const searchOn = present('peer_scores');

  let flags = 0;
  if (['overlays_H', 'overlays_U', 'overlays_DeltaW'].some((n) => a.has(n))) flags |= 0x01;
  if (['memory_coeff', 'delaybuf_init'].some((n) => a.has(n))) flags |= 0x02;
  if (bridgePresent || inp.bridgeState !== undefined) flags |= 0x04;
  if (searchOn) flags |= 0x08;

  const mphfSalt = inp.salts.mphf ?? sha256('mphf::', a.get('linear_mphf')?.sha256 ?? new Uint8Array(0));
  const keySalt = inp.salts.key ?? sha256('key::', a.get('linear_keys')?.sha256 ?? new Uint8Array(0));

  const entries: ManifestEntry[] = [];
  for (const [name, [section, kind]] of Object.entries(ARRAY_KINDS)) {
    const info = a.get(name);
    if (info) entries.push({ section, kind, length: BigInt(info.bytes), digest: info.sha256.subarray(0, 16) });
  }
  for (const [name, info] of a) {
    if (name.startsWith('T_')) {
      entries.push({ section: TOKENIZER_TABLE_KIND[0], kind: TOKENIZER_TABLE_KIND[1], length: BigInt(info.bytes), digest: info.sha256.subarray(0, 16) });
    }
  }
  entries.sort((x, y) => x.section - y.section || x.kind - y.kind); // stable: T_* keep write order

  const search = searchOn
    ? { a_max: 8.0, a_cap: 16.0, h_sel: 4.0, h_roll: 2.0, c_puct: 1.3, epsilon: 0.01, value_loss: 0.05 }
    : { a_max: 0, a_cap: 0, h_sel: 0, h_roll: 0, c_puct: 0, epsilon: 0, value_loss: 0 };

  return {
    sections: {
      header: { magic: MANIFEST_MAGIC, endian: 1, abi_flags: abi, reserved: 0, seed_digest: digest128('sera-transfer'), schema_digest: SCHEMA_DIGEST },
      tokenizer: { l_tok: 4, s_norm: 1, l_norm: 1, reserved: 0, p_gen: inp.vocabSize, fst_digest: d('tokenizer_fst'), unicode_policy: 1 },
      prf: { r: inp.r, tau: inp.tau, whitening_eps: 1e-8, clip_c: 3.0 },
      denominator: { beta_floor: 1e-3, lambda_digest: digest128('lambda') },
      linear: {
        capacity: BigInt(Math.floor((a.get('linear_weights')?.bytes ?? 0) / 4)), d_model: inp.dModel,
        bucket_size: 2, stash_size: 1, cuckoo_l: 8, ring_q: 4, tau_low: 0.1, tau_high: 1.0,
      },
      memory: { mode: 1, p: 2, q: 1, L: 1, t_phi: 32, k: 4, pole_radius_min: 0.95 },
      overlays: { slots: inp.nHeads, head_dim: inp.headDim, rank_v: inp.rv },
      corrector: { gamma_target: 0.5, m_target: 4.0, norm_def: 2 },
      bridge: {
        k_legs: bridgeOn ? 2 : 0, window: bridgeOn ? 2 : 0, reserved: 0,
        proj_rows: bridgeOn ? inp.vocabSize : 0, proj_cols: bridgeOn ? inp.dModel : 0,
        proj_digest: bridgeOn ? d('bridge_hubs') : ZERO16,
        beta_min: bridgeOn ? 0.1 : 0, beta_max: bridgeOn ? 1.0 : 0,
        guard_margin: 0, guard_eps_row: 0, load_max: 0, stash_max: 0, kick_max: 0,
      },
      search,
      capacity: { lambda_hat: 0.5, t_rb_ms: 20.0, slack: 0.1, margin: 0.05 },
      salts: { mphf: mphfSalt.subarray(0, 16), key: keySalt.subarray(0, 16), trust_gate: inp.salts.trustGate.subarray(0, 16) },
      hashes: { previous: digest128('prev'), current: digest128('curr') },
      fp_contract: {
        fma_mode: inp.assumeFma ? 1 : 0, denormals_mode: inp.assumeFtz ? 1 : 0, ext_precision: 0, reserved: 0,
        reductions_digest: digest128(new Uint8Array([...new TextEncoder().encode('reductions::'), abi & 0xff])),
      },
      optional_modules: { flags },
      trust_gate: { enabled: 0, profile_digest: ZERO16, salts_digest: digest128('trust-profile::none') },
    },
    reservedTable: 0,
    entries,
  };
}
