// The role table (roles.json, the reference's sera_transfer_roles.json patterns)
// and name matching by normalised dotted suffix (ALGORITHMS.md §6.1).
import { fileURLToPath } from 'node:url';
import { readText } from '../io/fs.js';
import { parseJson } from '../format/json-parse.js';
import { ModelError } from '../errors.js';

export const FUSED_QKV = '__FUSED_QKV__';
export type Role = 'W_Q' | 'W_K' | 'W_V' | 'W_O' | 'FFN_W1' | 'FFN_W2' | 'FFN_B1' | 'FFN_B2' | typeof FUSED_QKV;

export interface RolePattern {
  pattern: string;
  tokens: string[];
  role: Role;
}

export interface RoleTable {
  patterns: RolePattern[];
  /** Tokens that make an unmatched tensor a layer-role candidate. */
  triggers: Set<string>;
}

export function normalizeToken(t: string): string {
  return t.toLowerCase().replace(/[_-]/g, '');
}

const TERMINAL = new Set(['weight', 'bias', 'blocks', 'scales']);

let cache: Map<string, RoleTable> | undefined;

function load(): Map<string, RoleTable> {
  if (cache) return cache;
  const path = fileURLToPath(new URL('../../../src/model/roles.json', import.meta.url));
  const raw = parseJson(readText(path));
  if (!(raw instanceof Map)) throw new ModelError(`${path}: role table must be an object of families`);
  cache = new Map();
  for (const [family, entries] of raw) {
    if (!Array.isArray(entries)) throw new ModelError(`${path}: family '${family}' must list pattern/role objects`);
    const patterns: RolePattern[] = entries.map((e) => {
      const pattern = e instanceof Map ? e.get('pattern') : undefined;
      const role = e instanceof Map ? e.get('role') : undefined;
      if (typeof pattern !== 'string' || typeof role !== 'string') throw new ModelError(`${path}: entries need string 'pattern' and 'role'`);
      const tokens = pattern.split('.').filter((p) => p.length > 0).map(normalizeToken);
      if (!tokens.length) throw new ModelError(`${path}: pattern '${pattern}' has no tokens`);
      return { pattern, tokens, role: role as Role };
    });
    const triggers = new Set<string>();
    for (const p of patterns) for (const t of p.tokens.slice(0, -1)) if (!TERMINAL.has(t)) triggers.add(t);
    cache.set(family.toLowerCase(), { patterns, triggers });
  }
  return cache;
}

/** Patterns for a model family; unknown families use 'default' (as the reference). */
export function roleTable(family: string): RoleTable {
  const m = load();
  return m.get(family.toLowerCase()) ?? m.get('default') ?? { patterns: [], triggers: new Set() };
}

/** Whether an unmatched name looks like a layer weight the table should have matched. */
export function isRoleCandidate(normTokens: string[], triggers: Set<string>): boolean {
  if (!normTokens.length || !TERMINAL.has(normTokens[normTokens.length - 1]!)) return false;
  return normTokens.some((t) => triggers.has(t));
}
