// --profile: the design spec's practical settings for the published gpt-oss
// checkpoints (r 512, rv 12, topL 12), and the warning for a real gpt-oss
// checkpoint converted with smaller values.
import type { PyDict } from '../format/pyvalue.js';
import { UsageError } from '../errors.js';
import { choiceFlag, lastValue } from './args.js';

export interface Settings {
  r: number;
  rv: number;
  topL: number;
}

export const PROFILES: Readonly<Record<string, Settings>> = Object.freeze({
  'gpt-oss-20b': { r: 512, rv: 12, topL: 12 },
  'gpt-oss-120b': { r: 512, rv: 12, topL: 12 },
});

/** Fills --r/--rv/--topL from the profile where they were not given (explicit flags win). */
export function applyProfile(o: Record<string, unknown>): void {
  const name = lastValue(o.profile);
  if (name === undefined) return;
  if (name === true || name === '') throw new UsageError('argument --profile: expected one argument', `choose one of: ${Object.keys(PROFILES).join(', ')}`);
  const p = PROFILES[choiceFlag('profile', name, Object.keys(PROFILES))!]!;
  if (o.r === undefined) o.r = String(p.r);
  if (o.rv === undefined) o.rv = String(p.rv);
  if (o.topL === undefined) o.topL = String(p.topL);
}

function num(v: unknown): number | null {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return null;
}

/** A real gpt-oss checkpoint: model_type gpt_oss, or hidden_size 2880 with experts. */
export function isRealGptOss(raw: PyDict): boolean {
  if (raw.get('model_type') === 'gpt_oss') return true;
  const hidden = num(raw.get('hidden_size'));
  const experts = num(raw.get('num_local_experts')) ?? num(raw.get('num_experts'));
  return hidden === 2880 && experts !== null && experts > 0;
}

/** The warning for a real gpt-oss checkpoint converted below the published runtime settings, or null. */
export function profileWarning(raw: PyDict, s: Settings): string | null {
  if (!isRealGptOss(raw)) return null;
  const want = PROFILES['gpt-oss-20b']!;
  const low = (['r', 'rv', 'topL'] as const).filter((k) => s[k] < want[k]);
  if (!low.length) return null;
  return `this is a gpt-oss checkpoint, converted with ${low.map((k) => `${k} ${s[k]}`).join(', ')} (below r ${want.r}, rv ${want.rv}, topL ${want.topL}): ` +
    "the result is not compatible with the published checkpoints' runtime settings; use --profile gpt-oss-20b or --profile gpt-oss-120b";
}
