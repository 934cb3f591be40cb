// argparse-compatible touches the reference's CLI has and cac lacks: unambiguous
// prefixes of long flags (--sou → --source), negative numbers as values, and
// int() parsing of numeric flags with argparse's messages.
import { UsageError } from '../errors.js';

/** One option of the convert command: cac's spec (`--name <value>` takes a value), help text, cac config. */
export interface OptionSpec {
  spec: string;
  description: string;
  config?: { default?: unknown; type?: unknown[] };
}

/** Commands with options of their own (everything else is convert). */
export const OTHER_COMMANDS = new Set(['inspect', 'verify', 'rebuild', 'synth']);

/** The convert command's options, declared once: cac gets them all, CONVERT_FLAGS is derived. */
export const CONVERT_OPTIONS: readonly OptionSpec[] = [
  { spec: '--source <dir>', description: 'Checkpoint folder (config.json + model.safetensors or a sharded index), or hf:ORG/MODEL[@REV]' },
  { spec: '--output <dir>', description: 'Output folder for the Sera package' },
  { spec: '--r <n>', description: 'PRF feature count (clamped to d_model)', config: { type: [String] } },
  { spec: '--rv <n>', description: 'Overlay value rank (clamped to r)', config: { type: [String] } },
  { spec: '--topL <n>', description: 'Hidden units kept per input feature in the FFN collapse', config: { type: [String] } },
  { spec: '--original-subdir <path>', description: 'Extra search root relative to --source (replaces the original/ probing)' },
  { spec: '--verbose', description: 'Echo the conversion log to stderr' },
  { spec: '--quiet', description: 'Only errors on stderr' },
  { spec: '--debug', description: 'Verbose logs under OUTPUT/logs/ and stack traces on errors' },
  { spec: '--no-summary', description: 'Do not print the summary' },
  { spec: '--summary-format <format>', description: 'Summary format: table or json', config: { default: 'table' } },
  { spec: '--summary-output <file>', description: 'Also write the summary to this file' },
  { spec: '--assume-ftz', description: 'Attest flush-to-zero (always refused: JS engines keep denormals)' },
  { spec: '--assume-fma', description: 'Attest fused multiply-add support (recorded in the manifest)' },
  { spec: '--strict-tokenizer', description: 'Abort like the reference when the tokenizer is missing or not uniquely decodable' },
  { spec: '--force', description: 'Replace a non-empty --output that is not a Sera package' },
  { spec: '--mxfp4-shards', description: 'Copy MXFP4 tensors to arrays/mxfp4/ (default for mixture-of-experts checkpoints; --no-mxfp4-shards skips)' },
  { spec: '--allow-nan-scales', description: 'Accept 0xFF (NaN) MXFP4 scale bytes' },
  { spec: '--quantize-experts <format>', description: 'Encode float FFN/expert weights to MXFP4 shards (mxfp4); the stages read the decoded values' },
  { spec: '--interactive', description: 'Ask for the settings step by step (the reference assistant)' },
  { spec: '--profile <name>', description: 'r 512, rv 12, topL 12 for gpt-oss-20b or gpt-oss-120b (explicit flags win)' },
  { spec: '--dry-run', description: 'Print the plan (layers, roles, arrays, estimated bytes) and write nothing' },
  { spec: '--log-format <format>', description: 'stderr as text (default) or json (one object per line)' },
  { spec: '--cache-dir <dir>', description: 'Download cache for hf: sources (default ~/.cache/sera-transfer/hub)' },
  { spec: '--mxfp4-backend <name>', description: 'Accepted for compatibility (python|numpy|torch); decoding is always exact', config: { default: 'python' } },
  { spec: '--torch-threads <n>', description: 'Accepted for compatibility; no effect', config: { type: [String] } },
  { spec: '--numpy-threads <n>', description: 'Accepted for compatibility; no effect', config: { type: [String] } },
  { spec: '--cpu-affinity <list>', description: 'Accepted for compatibility; no effect', config: { type: [String] } },
];

/**
 * Long flags of the convert command: name → takes a value (for prefix expansion),
 * from CONVERT_OPTIONS plus cac's --help/--version and the --no- form of --mxfp4-shards.
 */
export const CONVERT_FLAGS: Record<string, boolean> = Object.fromEntries([
  ...CONVERT_OPTIONS.map((o) => [o.spec.split(' ')[0]!.slice(2), o.spec.includes('<')] as const),
  ['help', false], ['version', false], ['no-mxfp4-shards', false],
]);

const NUMBER_RE = /^-\d+$|^-\d*\.\d+$/;

/** Expands unambiguous prefixes and joins `--flag -5`; throws UsageError on ambiguity (`lenient`: leaves it as given). */
export function normalizeArgv(argv: string[], flags: Record<string, boolean>, lenient = false): string[] {
  const names = Object.keys(flags);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { out.push(...argv.slice(i)); break; }
    if (!a.startsWith('--') || a.length === 2) { out.push(a); continue; }
    const eq = a.indexOf('=');
    const given = a.slice(2, eq < 0 ? undefined : eq);
    let name = given;
    if (!(given in flags)) {
      const matches = names.filter((n) => n.startsWith(given));
      if (matches.length > 1 && !lenient) {
        throw new UsageError(`ambiguous option: --${given} could match ${matches.map((m) => '--' + m).join(', ')}`, "run 'sera-transfer --help' for the flags");
      }
      if (matches.length === 1) name = matches[0]!;
    }
    const takesValue = flags[name] === true;
    if (eq >= 0) { out.push(`--${name}=${a.slice(eq + 1)}`); continue; }
    if (takesValue && i + 1 < argv.length && NUMBER_RE.test(argv[i + 1]!)) {
      out.push(`--${name}=${argv[i + 1]}`);
      i++;
      continue;
    }
    out.push(`--${name}`);
  }
  return out;
}

/**
 * --debug and --log-format json, for the error report: read from argv as the
 * parser sees it (prefixes expanded, nothing after `--`, the last --log-format
 * wins), and leniently, so that a usage error is reported in the form asked for.
 */
export function reportFlags(argv: string[], flags: Record<string, boolean>): { debug: boolean; jsonLogs: boolean } {
  const a = normalizeArgv(argv, flags, true);
  let debug = false;
  let logFormat: string | undefined;
  for (let i = 0; i < a.length && a[i] !== '--'; i++) {
    if (a[i] === '--debug') debug = true;
    else if (a[i]!.startsWith('--log-format=')) logFormat = a[i]!.slice('--log-format='.length);
    else if (a[i] === '--log-format') logFormat = a[i + 1]?.startsWith('-') === false ? a[++i] : undefined;
  }
  return { debug, jsonLogs: logFormat === 'json' };
}

/** argparse keeps the last occurrence of a repeated flag; cac collects them into an array. */
export function lastValue(v: unknown): unknown {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Python int() of a string (surrounding whitespace, a sign, digits with single underscores); null when it is not one. */
export function pyInt(s: string): number | null {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(s);
  if (!m) return null;
  const n = Number(m[2]!.replace(/_/g, ''));
  return m[1] === '-' ? -n : n;
}

/** argparse `type=int`: Python int() of the string. */
export function parseIntFlag(flag: string, value: unknown): number | undefined {
  value = lastValue(value);
  if (value === undefined) return undefined;
  if (value === true || value === '') {
    throw new UsageError(`argument --${flag}: expected one argument`, `give a value: --${flag} N`);
  }
  const s = String(value);
  const n = pyInt(s);
  if (n === null) throw new UsageError(`argument --${flag}: invalid int value: '${s}'`, `--${flag} takes an integer`);
  return n;
}

/** argparse `choices=`: the flag's value (its last occurrence), or undefined when it was not given. */
export function choiceFlag<T extends string>(flag: string, value: unknown, choices: readonly T[]): T | undefined {
  const v = lastValue(value);
  if (v === undefined) return undefined;
  const s = String(v);
  if (!(choices as readonly string[]).includes(s)) {
    throw new UsageError(`argument --${flag}: invalid choice: '${s}' (choose from ${choices.map((c) => `'${c}'`).join(', ')})`);
  }
  return s as T;
}

/** The last of --verbose/--quiet wins; otherwise SERA_TRANSFER_VERBOSE decides. */
export function resolveVerbose(argv: string[], env: Record<string, string | undefined>): boolean {
  let v: boolean | undefined;
  for (const a of argv) {
    if (a === '--verbose') v = true;
    else if (a === '--quiet') v = false;
  }
  if (v !== undefined) return v;
  const e = env.SERA_TRANSFER_VERBOSE;
  if (e === undefined) return false;
  return !['', '0', 'false', 'no'].includes(e.trim().toLowerCase());
}

/** The reference's determinism flag rules (ALGORITHMS.md §1.2); the flags have no other effect here. */
export function validateBackendFlags(o: {
  /** The raw flag values (cac's: repeated flags are arrays). */
  backend: unknown; cpuAffinity: unknown;
  torchThreads?: number; numpyThreads?: number; assumeFtz: boolean; assumeFma: boolean;
}): number[] | null {
  if (o.torchThreads !== undefined && o.torchThreads <= 0) throw new UsageError('--torch-threads must be a positive integer');
  if (o.numpyThreads !== undefined && o.numpyThreads <= 0) throw new UsageError('--numpy-threads must be a positive integer');
  let affinity: number[] | null = null;
  const cpuAffinity = lastValue(o.cpuAffinity);
  if (cpuAffinity !== undefined) {
    const v = String(cpuAffinity).trim();
    if (v.toLowerCase() !== 'auto') {
      const toks = v.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
      if (!toks.length) throw new UsageError('--cpu-affinity must list at least one CPU index');
      const ids = toks.map((t) => {
        const n = pyInt(t);
        if (n === null) throw new UsageError(`--cpu-affinity is invalid: invalid literal for int() with base 10: '${t}'`);
        if (n < 0) throw new UsageError('--cpu-affinity is invalid: CPU affinity indices must be non-negative');
        return n;
      });
      affinity = [...new Set(ids)].sort((a, b) => a - b);
    }
  }
  const backend = choiceFlag('mxfp4-backend', o.backend, ['python', 'numpy', 'torch'] as const) ?? 'python';
  if (backend === 'torch' || backend === 'numpy') {
    const [flag, label] = backend === 'torch' ? ['torch-threads', 'Torch'] : ['numpy-threads', 'NumPy'];
    const threads = backend === 'torch' ? o.torchThreads : o.numpyThreads;
    if (threads === undefined) throw new UsageError(`--${flag}=1 is required when using --mxfp4-backend=${backend}`);
    if (threads !== 1) throw new UsageError(`Deterministic ${backend} MXFP4 decoding requires --${flag}=1`);
    if (!o.assumeFtz || !o.assumeFma) throw new UsageError(`${label} MXFP4 decoding requires --assume-ftz and --assume-fma attestations`);
  } else {
    if (o.torchThreads !== undefined && o.torchThreads !== 1) throw new UsageError('--torch-threads must be 1 when specified with --mxfp4-backend=python');
    if (o.numpyThreads !== undefined && o.numpyThreads !== 1) throw new UsageError('--numpy-threads must be 1 when specified with --mxfp4-backend=python');
  }
  return affinity;
}
