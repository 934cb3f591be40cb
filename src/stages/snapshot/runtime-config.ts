// The Sera runtime's configuration (`SeraConfig` in inference/sera.py) as
// `dataclasses.asdict` returns it: every field in declaration order, including
// the init=False ones (TrustGateConfig._logit_pi0, BridgeConfig.projection_digest
// ...), tuples as lists. Defaults are written out field by field; only the
// fields the converter replaces (ALGORITHMS.md §16) come in as parameters.
import { sha256Hex } from '../../format/hash.js';
import { dict, type PyDict } from '../../format/pyvalue.js';

/** The fields the converter replaces, already validated (see resolve.ts). */
export interface RuntimeOverrides {
  /** tokenizer.max_piece_length */
  maxPieceLength: number;
  /** tokenizer.vocabulary: "__sera_bytes__:<hex>" -> id, in dict insertion order */
  vocabulary: PyDict;
  /** attention.dim / value_dim / features / tau / beta_floor */
  dim: number;
  valueDim: number;
  features: number;
  tau: number;
  betaFloor: number;
  /** linear.capacity */
  linearCapacity: number;
  /** bridge.hub_window */
  hubWindow: number;
}

// --- Defaults (sera.py dataclass defaults and the _default_*_config factories) ---

export const TOKENIZER_DEFAULTS = {
  maxPieceLength: 4,
  normalizerStates: 8,
  editWindow: 4,
  maxEventBytes: 64,
  maxEventTokens: 64,
} as const;

export const ATTENTION_DEFAULTS = { gamma: 0.95, epsilon: 1e-6, rngSeed: 17 } as const;

export const LINEAR_DEFAULTS = {
  capacity: 512,
  tauLow: 0.1,
  tauHigh: 0.9,
  learningRate: 0.05,
  l2: 0.0,
  buckets: 4,
  bucketSize: 2,
  stashCapacity: 8,
  maxKicks: 8,
  ringCapacity: 16,
  margin: 4.0,
} as const;

export const BRIDGE_DEFAULTS = {
  hubWindow: 8,
  candidateBound: 4,
  betaMin: 0.1,
  betaMax: 0.9,
  projection: [[1.0]] as readonly (readonly number[])[],
  loadMax: 1.0,
  stashMax: 1.0,
  kickMax: 8.0,
  marginPolicy: 0.0,
  epsRowPolicy: 0.0,
};

export const BALANCER_DEFAULTS = { gamma: 0.25, truncationOrder: 2 } as const;

export const CORRECTOR_DEFAULTS = {
  mode: 'CORRECTOR-MIX',
  gateGain: 1.0,
  betaCorrectorMax: 0.2,
  projector: [[1.0, 0.0, 0.0, 0.0]] as readonly (readonly number[])[],
  memExcitation: [[0, 0.0]] as const,
  driftEpsilon: 1e-3,
  schedulePeriod: 16,
  policyWeights: [1.0, 0.0, 0.0, 0.0] as readonly number[],
  policyAlpha: 0.5,
  seedAttention: 0x123456789abcdef0n,
  seedMemory: 0x0fedcba987654321n,
  seedSchedule: 0xcafebabedeadbeefn,
};

export const TREE_SEARCH_DEFAULTS = {
  enabled: false,
  cpuct: 1.0,
  maxActions: 4,
  actionCap: 4,
  actionPriors: [0.4, 0.3, 0.2, 0.1] as readonly number[],
  actionRewards: [0.2, 0.1, 0.05, -0.05] as readonly number[],
  selectionDepth: 4,
  rolloutDepth: 4,
  backupDepth: 4,
  discount: 0.9,
  epsilon: 0.0,
  valueLoss: 1.0,
  rewardWeights: [0.4, 0.2, 0.2, 0.2] as readonly number[],
  trustWeight: 0.2,
};

/** FPContract.as_dict() (and its asdict form: same fields, same order). */
export function fpContractDict(): PyDict {
  return dict({
    precision: 'float64',
    rounding: 'nearest_even',
    fma: true,
    denormals: 'preserved',
    reduction_order: 'fixed',
  });
}

/** SHA-256 over the rows packed as little-endian doubles (`struct.pack("<d")`). */
export function matrixDigest(rows: readonly (readonly number[])[]): string {
  const n = rows.reduce((acc, r) => acc + r.length, 0);
  const buf = new Uint8Array(n * 8);
  const view = new DataView(buf.buffer);
  let off = 0;
  for (const row of rows) for (const v of row) { view.setFloat64(off, v, true); off += 8; }
  return sha256Hex(buf);
}

/** BridgeProof._SCHEMA is struct.Struct("<QddddddQ"); the digest hashes its format string. */
export const ROUTE_PROOF_SCHEMA_DIGEST = sha256Hex('<QddddddQ');

const floats = (xs: readonly number[]): number[] => xs.map((x) => x);
const floatRows = (rows: readonly (readonly number[])[]): number[][] => rows.map((r) => floats(r));

function tokenizerDict(o: RuntimeOverrides): PyDict {
  return dict({
    max_piece_length: BigInt(o.maxPieceLength),
    normalizer_states: BigInt(TOKENIZER_DEFAULTS.normalizerStates),
    vocabulary: o.vocabulary,
    edit_window: BigInt(TOKENIZER_DEFAULTS.editWindow),
    max_event_bytes: BigInt(TOKENIZER_DEFAULTS.maxEventBytes),
    max_event_tokens: BigInt(TOKENIZER_DEFAULTS.maxEventTokens),
  });
}

function attentionDict(o: RuntimeOverrides): PyDict {
  return dict({
    dim: BigInt(o.dim),
    value_dim: BigInt(o.valueDim),
    features: BigInt(o.features),
    gamma: ATTENTION_DEFAULTS.gamma,
    tau: o.tau,
    beta_floor: o.betaFloor,
    epsilon: ATTENTION_DEFAULTS.epsilon,
    clip_value: null,
    rng_seed: BigInt(ATTENTION_DEFAULTS.rngSeed),
  });
}

function linearDict(o: RuntimeOverrides): PyDict {
  const d = LINEAR_DEFAULTS;
  return dict({
    capacity: BigInt(o.linearCapacity),
    tau_low: d.tauLow,
    tau_high: d.tauHigh,
    learning_rate: d.learningRate,
    l2: d.l2,
    buckets: BigInt(d.buckets),
    bucket_size: BigInt(d.bucketSize),
    stash_capacity: BigInt(d.stashCapacity),
    max_kicks: BigInt(d.maxKicks),
    ring_capacity: BigInt(d.ringCapacity),
    margin: d.margin,
  });
}

function memoryDict(): PyDict {
  // _default_memory_config(): FiniteMemoryConfig(lift_coordinates=(0,), max_active=8, delay=1)
  return dict({
    lift_coordinates: [0n],
    max_active: 8n,
    delay: 1n,
    a_coeffs: [],
    b_coeffs: [1.0],
    input_clip: null,
  });
}

function fusionDict(): PyDict {
  return dict({ w_att: 0.5, w_lin: 0.5, gate_vector: [1.0, 1.0] });
}

function trustDict(): PyDict {
  // The three private fields come from TrustGateConfig.__post_init__ on the
  // defaults (never replaced by the converter), via glibc's correctly rounded log:
  //   _logit_pi0       = log(0.25 / 0.75)
  //   _log_bf_pos      = log(0.6 / max(0.2, 10.0 ** -6.0))  (0.6/0.2 = 2.9999999999999996)
  //   _gamma_threshold = log((5.0 + 1.0) / (1.0 + 1.0)) - _logit_pi0 + 0.5
  return dict({
    dimension: 24n,
    salts: 5n,
    acceptance_k: 3n,
    neg_threshold: -0.25,
    pos_threshold: 0.1,
    q_min_hat: 0.6,
    eps_pos_hat: 0.2,
    B_floor: 6.0,
    pi0: 0.25,
    hazard_positive: 5.0,
    hazard_negative: 1.0,
    hazard_offset: 1.0,
    psi: 0.5,
    beta_min: 0.05,
    beta_max: 0.4,
    beta_boost: 0.1,
    alpha_unknown: 0.5,
    _logit_pi0: -1.0986122886681098,
    _log_bf_pos: 1.0986122886681096,
    _gamma_threshold: 2.6972245773362196,
  });
}

function balancerDict(): PyDict {
  return dict({
    gamma: BALANCER_DEFAULTS.gamma,
    truncation_order: BigInt(BALANCER_DEFAULTS.truncationOrder),
  });
}

function bridgeDict(o: RuntimeOverrides): PyDict {
  const d = BRIDGE_DEFAULTS;
  return dict({
    hub_window: BigInt(o.hubWindow),
    candidate_bound: BigInt(d.candidateBound),
    beta_min: d.betaMin,
    beta_max: d.betaMax,
    projection: floatRows(d.projection),
    load_max: d.loadMax,
    stash_max: d.stashMax,
    kick_max: d.kickMax,
    margin_policy: d.marginPolicy,
    eps_row_policy: d.epsRowPolicy,
    route_proof_schema_digest: ROUTE_PROOF_SCHEMA_DIGEST,
    projection_digest: matrixDigest(d.projection),
    value_dim: BigInt(d.projection[0]!.length),
  });
}

function correctorDict(): PyDict {
  const d = CORRECTOR_DEFAULTS;
  return dict({
    mode: d.mode,
    gate_gain: d.gateGain,
    beta_corrector_max: d.betaCorrectorMax,
    projector: floatRows(d.projector),
    mem_excitation: d.memExcitation.map(([coord, weight]) => [BigInt(coord), weight]),
    drift_epsilon: d.driftEpsilon,
    schedule_period: BigInt(d.schedulePeriod),
    policy_weights: floats(d.policyWeights),
    policy_alpha: d.policyAlpha,
    seed_attention: d.seedAttention,
    seed_memory: d.seedMemory,
    seed_schedule: d.seedSchedule,
  });
}

function treeSearchDict(): PyDict {
  const d = TREE_SEARCH_DEFAULTS;
  return dict({
    enabled: d.enabled,
    cpuct: d.cpuct,
    max_actions: BigInt(d.maxActions),
    action_cap: BigInt(d.actionCap),
    action_priors: floats(d.actionPriors),
    action_rewards: floats(d.actionRewards),
    selection_depth: BigInt(d.selectionDepth),
    rollout_depth: BigInt(d.rolloutDepth),
    backup_depth: BigInt(d.backupDepth),
    discount: d.discount,
    epsilon: d.epsilon,
    value_loss: d.valueLoss,
    reward_weights: floats(d.rewardWeights),
    trust_weight: d.trustWeight,
  });
}

/** `dataclasses.asdict(SeraConfig)` with the converter's replacements applied. */
export function seraConfigDict(o: RuntimeOverrides): PyDict {
  return dict({
    tokenizer: tokenizerDict(o),
    attention: attentionDict(o),
    linear: linearDict(o),
    memory: memoryDict(),
    fusion: fusionDict(),
    trust: trustDict(),
    balancer: balancerDict(),
    bridge: bridgeDict(o),
    corrector: correctorDict(),
    tree_search: treeSearchDict(),
    lambda_floor: 0.05,
    feature_budget: 32n,
    fp_contract: fpContractDict(),
  });
}
