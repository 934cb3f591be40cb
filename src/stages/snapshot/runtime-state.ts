// The freshly constructed runtime's state as `Sera.snapshot()` reports it: the
// linear learner (empty cuckoo table sized from linear.capacity), the corrector,
// the diagnostics counters and the generation-0 manifest record with its digest.
// Key insertion order follows sera.py (JSON sorts anyway; msgpack would not).
import { sha256Hex } from '../../format/hash.js';
import { dumps } from '../../format/pyjson.js';
import { dict, type PyDict, type PyValue } from '../../format/pyvalue.js';
import { psum } from '../../numeric/python.js';
import { crcHex, zlibCrc32 } from './crc32.js';
import {
  BALANCER_DEFAULTS,
  BRIDGE_DEFAULTS,
  CORRECTOR_DEFAULTS,
  LINEAR_DEFAULTS,
  ROUTE_PROOF_SCHEMA_DIGEST,
  TREE_SEARCH_DEFAULTS,
  fpContractDict,
  matrixDigest,
} from './runtime-config.js';

const GENERATION = 0n;

/** BoundedCuckooMap geometry for a given capacity (its __init__ clamps). */
function cuckooGeometry(capacity: number) {
  const d = LINEAR_DEFAULTS;
  const bucketSize = Math.max(1, d.bucketSize);
  return {
    choices: Math.max(1, d.buckets),
    bucketSize,
    stashCapacity: Math.max(0, d.stashCapacity),
    maxKicks: Math.max(1, d.maxKicks),
    ringCapacity: Math.max(0, d.ringCapacity),
    bucketCount: Math.max(1, Math.ceil(capacity / bucketSize)),
  };
}

/** An empty table: bucket_count rows of bucket_size `None` entries. */
function emptyTable(rows: number, width: number): PyValue[] {
  const out: PyValue[] = new Array(rows);
  for (let i = 0; i < rows; i++) out[i] = new Array<PyValue>(width).fill(null);
  return out;
}

/** LinearCapacityMonitor.__init__: slack = float(capacity) * (tau_high - tau_low). */
function initialSlack(capacity: number): number {
  return capacity * (LINEAR_DEFAULTS.tauHigh - LINEAR_DEFAULTS.tauLow);
}

/** SparseLinearState.snapshot() right after construction. */
export function linearStateSnapshot(capacity: number): PyDict {
  const g = cuckooGeometry(capacity);
  return dict({
    address_book: dict({ generation: GENERATION, key_to_slot: new Map(), next_slot: 0n }),
    weights: dict({
      capacity: BigInt(capacity),
      choices: BigInt(g.choices),
      bucket_size: BigInt(g.bucketSize),
      stash_capacity: BigInt(g.stashCapacity),
      max_kicks: BigInt(g.maxKicks),
      ring_capacity: BigInt(g.ringCapacity),
      max_kick_length: 0n,
      table: emptyTable(g.bucketCount, g.bucketSize),
      stash: [],
      ring: [],
    }),
    bias: 0.0,
    capacity: dict({
      lambda_hat: 0.0,
      events: 0n,
      new_keys: 0n,
      load: 0.0,
      slack: initialSlack(capacity),
      frozen: false,
      margin: LINEAR_DEFAULTS.margin,
    }),
  });
}

/** SparseLinearState.manifest() right after construction (no handles, empty MPH). */
function linearManifest(capacity: number): PyDict {
  const g = cuckooGeometry(capacity);
  return dict({
    handles: dict({
      generation: GENERATION,
      size: 0n,
      mph: dict({ size: 0n, seeds: [], entries: [] }),
      list: [],
    }),
    weights: dict({
      capacity: BigInt(capacity),
      choices: BigInt(g.choices),
      bucket_size: BigInt(g.bucketSize),
      stash_capacity: BigInt(g.stashCapacity),
      ring_capacity: BigInt(g.ringCapacity),
      load: 0.0,
      max_kick_length: 0n,
      stash: [],
      ring: [],
      table: emptyTable(g.bucketCount, g.bucketSize),
    }),
    bias: 0.0,
    capacity: dict({
      capacity: BigInt(capacity),
      tau_low: LINEAR_DEFAULTS.tauLow,
      tau_high: LINEAR_DEFAULTS.tauHigh,
      margin: LINEAR_DEFAULTS.margin,
      lambda_hat: 0.0,
      events: 0n,
      new_keys: 0n,
      load: 0.0,
      slack: initialSlack(capacity),
      frozen: false,
    }),
  });
}

/** BridgeState.manifest() with an empty store. */
function bridgeManifest(hubWindow: number): PyDict {
  const d = BRIDGE_DEFAULTS;
  return dict({
    generation: GENERATION,
    config: dict({
      hub_window: BigInt(hubWindow),
      candidate_bound: BigInt(d.candidateBound),
      beta_min: d.betaMin,
      beta_max: d.betaMax,
      projection: dict({
        shape: [BigInt(d.projection.length), BigInt(d.projection[0]!.length)],
        digest: matrixDigest(d.projection),
      }),
      guard: dict({ margin_policy: d.marginPolicy, eps_row_policy: d.epsRowPolicy }),
      store_limits: dict({ load_max: d.loadMax, stash_max: d.stashMax, kick_max: d.kickMax }),
      route_proof_schema_digest: ROUTE_PROOF_SCHEMA_DIGEST,
    }),
    entries: new Map(),
    hub_bits: new Map(),
    qDin: new Map(),
    qDout: new Map(),
  });
}

/** CorrectorState.manifest() at event 0. */
function correctorManifest(): PyDict {
  const d = CORRECTOR_DEFAULTS;
  return dict({
    mode: d.mode,
    beta_corrector_max: d.betaCorrectorMax,
    gate_gain: d.gateGain,
    projector_shape: [BigInt(d.projector.length), BigInt(d.projector[0]!.length)],
    projector_digest: matrixDigest(d.projector),
    policy_weights: d.policyWeights.map((v) => v),
    policy_alpha: d.policyAlpha,
    event_counter: 0n,
  });
}

export function correctorStateSnapshot(): PyDict {
  return dict({
    event_counter: 0n,
    last_beta: 0.0,
    last_y_corrector: 0.0,
    last_s_wit: 0.0,
    generation: GENERATION,
  });
}

const TREE_SEARCH_ACTIONS = [
  'Hold', 'Route', 'Rebind', 'PromoteHint', 'OverlayHint', 'DenFloorBump', 'MemExcite', 'TokenProposal',
];

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

/** TreeSearchState.manifest(): the clamps and prior normalisation of its __post_init__. */
function searchManifest(): PyDict {
  const d = TREE_SEARCH_DEFAULTS;
  const maxActions = Math.max(1, Math.min(d.maxActions, TREE_SEARCH_ACTIONS.length));
  const priors = d.actionPriors.slice(0, maxActions);
  while (priors.length < maxActions) priors.push(1.0);
  // sum() here is CPython 3.12's compensated sum: 0.4+0.3+0.2+0.1 == 1.0 exactly
  // (a naive left fold gives 0.9999999999999999 and shifts every prior by an ulp).
  const total = psum(priors);
  const rewards = d.actionRewards.slice(0, maxActions);
  while (rewards.length < maxActions) rewards.push(rewards[rewards.length - 1] ?? 0.0);
  const weights = d.rewardWeights.slice(0, 4);
  while (weights.length < 4) weights.push(0.0);
  return dict({
    enabled: d.enabled,
    actions: TREE_SEARCH_ACTIONS.slice(0, maxActions),
    constants: dict({
      A_max: BigInt(maxActions),
      A_cap: BigInt(Math.max(1, Math.min(d.actionCap, maxActions, 4))),
      H_sel: BigInt(Math.max(1, Math.min(d.selectionDepth, 4))),
      H_roll: BigInt(Math.max(1, Math.min(d.rolloutDepth, 4))),
      H_backup: BigInt(Math.max(1, Math.min(d.backupDepth, 4))),
      c_puct: d.cpuct,
      discount: clamp(d.discount, 0.0, 1.0),
      epsilon: clamp(d.epsilon, 0.0, 0.5),
      value_loss: clamp(d.valueLoss, 0.0, 1.0),
    }),
    priors: priors.map((p) => p / total),
    base_rewards: rewards.map((r) => clamp(r, -1.0, 1.0)),
    reward_weights: weights,
    trust_weight: clamp(d.trustWeight, -1.0, 1.0),
  });
}

/** BalancerProof.as_dict(): tail_bound = gamma ** (order + 1) / (1 - gamma). */
function balancerProof(): PyDict {
  const { gamma, truncationOrder } = BALANCER_DEFAULTS;
  return dict({
    gamma,
    truncation_order: BigInt(truncationOrder),
    tail_bound: gamma ** (truncationOrder + 1) / (1 - gamma),
  });
}

/** Sera.diagnostics_record() of a fresh SeraDiagnostics (asdict, inf -> None, bytes -> hex). */
export function diagnosticsRecord(): PyDict {
  return dict({
    tok_bytes_in: 0n,
    tok_emitted: 0n,
    tokenizer_probe_max: 0n,
    tokenizer_table_probes: 0n,
    tokens_emitted: 0n,
    attention_updates: 0n,
    attention_clip_rate: 0.0,
    attention_den_min: null, // float("inf") by default, reported as None
    lambda_star: 0.0,
    bridge_hits: 0n,
    bridge_misses: 0n,
    tree_simulations: 0n,
    tree_expansions: 0n,
    tree_path_len: 0n,
    tree_rollout_len: 0n,
    bridge_last_proof: '', // b"".hex()
    p99_window: 128n,
    store_load_samples: [],
    stash_occ_samples: [],
    kick_len_samples: [],
    store_load_p99: 0.0,
    stash_occ_p99: 0.0,
    kick_len_p99: 0.0,
    capacity_lambda_hat: 0.0,
    capacity_load: 0.0,
    capacity_slack: 0.0,
    capacity_margin: 0.0,
    capacity_frozen: false,
    bridge_guard_rate: 0.0,
    trust_decision: 0n,
    trust_m: 0n,
    trust_llr: 0.0,
    trust_gamma: 0.0,
    trust_consistent: true,
    trust_audit: '', // b"".hex()
    trust_beta_min: 0.0,
    trust_beta_cap: 0.0,
    corrector_mode: 'OFF',
    corrector_beta: 0.0,
    corrector_guard: false,
    corrector_health_ok: true,
    corrector_y_corrector: 0.0,
  });
}

/**
 * ManifestRecord.digest(): json.dumps({generation, fp_contract, sections},
 * sort_keys=True) on one line with the default separators; "crc32c" is zlib CRC-32.
 */
export function manifestDigest(generation: bigint, fpContract: PyDict, sections: PyDict): PyDict {
  const payload = dumps(dict({ generation, fp_contract: fpContract, sections }), { indent: null, sortKeys: true });
  const bytes = new TextEncoder().encode(payload); // ensure_ascii: pure ASCII anyway
  return dict({ crc32c: crcHex(zlibCrc32(bytes)), sha256: sha256Hex(bytes) });
}

/** ManifestRecord.as_dict() for generation 0. */
export function manifestRecord(linearCapacity: number, hubWindow: number): PyDict {
  const sections = dict({
    linear: linearManifest(linearCapacity),
    bridge: bridgeManifest(hubWindow),
    corrector: correctorManifest(),
    search: searchManifest(),
    balancer_proof: balancerProof(),
    diagnostics: diagnosticsRecord(),
  });
  const fpContract = fpContractDict();
  return dict({
    generation: GENERATION,
    fp_contract: fpContract,
    sections,
    digest: manifestDigest(GENERATION, fpContract, sections),
  });
}
