// The role table (roles.json, the reference's sera_transfer_roles.json patterns)
// and name matching by normalised dotted suffix (ALGORITHMS.md §6.1).
import { fileURLToPath } from 'node:url';
import { readText } from '../io/fs.js';
import { parseJson } from '../format/json-parse.js';
import type { PyDict, PyValue } from '../format/pyvalue.js';
import { ModelError } from '../errors.js';

export const FUSED_QKV = '__FUSED_QKV__';
export type Role = 'W_Q' | 'W_K' | 'W_V' | 'W_O' | 'FFN_W1' | 'FFN_W2' | 'FFN_B1' | 'FFN_B2' | typeof FUSED_QKV;

export interface RolePattern<R extends string = Role> {
  pattern: string;
  tokens: string[];
  role: R;
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

/**
 * A role file shipped in src/model/ (roles.json, roles-moe.json), parsed: its path and top-level object.
 * Callers spell the URL out, so the packaging test sees which files are read at run time.
 */
export function readRoleFile(url: URL): { path: string; raw: PyDict } {
  const path = fileURLToPath(url);
  const raw = parseJson(readText(path));
  if (!(raw instanceof Map)) throw new ModelError(`${path}: a role table must be a JSON object`);
  return { path, raw };
}

/** A list of {pattern, role} objects (`what` names the list in errors) as normalised token patterns. */
export function parsePatterns<R extends string>(entries: PyValue | undefined, path: string, what: string): RolePattern<R>[] {
  if (!Array.isArray(entries)) throw new ModelError(`${path}: ${what} must list pattern/role objects`);
  return entries.map((e) => {
    const pattern = e instanceof Map ? e.get('pattern') : undefined;
    const role = e instanceof Map ? e.get('role') : undefined;
    if (typeof pattern !== 'string' || typeof role !== 'string') throw new ModelError(`${path}: entries need string 'pattern' and 'role'`);
    const tokens = pattern.split('.').filter((p) => p.length > 0).map(normalizeToken);
    if (!tokens.length) throw new ModelError(`${path}: pattern '${pattern}' has no tokens`);
    return { pattern, tokens, role: role as R };
  });
}

function load(): Map<string, RoleTable> {
  if (cache) return cache;
  const { path, raw } = readRoleFile(new URL('../../../src/model/roles.json', import.meta.url));
  cache = new Map();
  for (const [family, entries] of raw) {
    const patterns = parsePatterns<Role>(entries, path, `family '${family}'`);
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

/** Whether normalised name tokens end with a pattern's tokens. */
export function endsWithTokens(norm: readonly string[], tokens: readonly string[]): boolean {
  if (norm.length < tokens.length) return false;
  for (let i = 0; i < tokens.length; i++) if (norm[norm.length - tokens.length + i] !== tokens[i]) return false;
  return true;
}

/** The layer prefix a pattern gives a dotted name (`parts`, normalised `norm`): null when it does not match or leaves no prefix. */
export function matchRoleSuffix(parts: readonly string[], norm: readonly string[], tokens: readonly string[]): string | null {
  if (!endsWithTokens(norm, tokens)) return null;
  return parts.slice(0, parts.length - tokens.length).join('.').replace(/\.+$/, '') || null;
}

/** A layer's name in the package: its prefix with dots as underscores. */
export function layerName(prefix: string): string {
  return prefix.replace(/\./g, '_');
}
