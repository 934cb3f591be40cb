// What happens around a conversion before convert() runs: the stderr reporter
// (progress and log echo, text or JSON), the interactive assistant, Hub
// downloads for `hf:` sources, the profile warning, and --dry-run. main.ts
// calls prepareRun() and hands the result to convert().
import { ConversionLog } from '../log.js';
import { UsageError } from '../errors.js';
import type { ProgressListener } from '../pipeline/read-progress.js';
import { Reporter, plainInterval, progressMode, type LogFormat, type OutStream } from './progress.js';
import { profileWarning } from './profiles.js';
import { isHubSource } from '../hub/source.js';
import { choiceFlag, lastValue } from './args.js';
import type { ConvertOptions } from '../convert.js';

export interface WorkflowIO {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  stdin?: NodeJS.ReadableStream;
}

export interface PreparedRun {
  /** Set when nothing is left to do (a dry run printed its plan). */
  exitCode?: number;
  source: string;
  output: string;
  r: number | undefined;
  rv: number | undefined;
  topL: number | undefined;
  originalSubdir: string | null;
  interactive: boolean;
  log: ConversionLog;
  onProgress: ProgressListener | undefined;
  /** The profile warning, for convert()'s onConfig. */
  onConfig: ConvertOptions['onConfig'];
  /** Ends a progress line in flight (before an error is reported). */
  close(): void;
}

type Opts = Record<string, any>;

function str(v: unknown): string | undefined {
  const last = lastValue(v);
  return last === undefined || last === true ? undefined : String(last);
}

/** The convert options the command line sets besides the paths and r/rv/topL (a dry run plans with them too). */
export type RunFlags = Pick<ConvertOptions, 'strictTokenizer' | 'force' | 'assumeFtz' | 'assumeFma' | 'mxfp4Shards' | 'allowNanScales' | 'quantizeExperts'>;

export async function prepareRun(o: Opts,
  s: { r?: number; rv?: number; topL?: number; verbose: boolean; debug: boolean; format: 'table' | 'json'; flags: RunFlags },
  io: WorkflowIO): Promise<PreparedRun> {
  const logFormat: LogFormat = choiceFlag('log-format', o.logFormat, ['text', 'json'] as const) ?? 'text';
  const quietFlag = o.quiet === true;
  const mode = progressMode({ quiet: quietFlag && !s.verbose, logFormat, stream: io.stderr, env: io.env });
  const reporter = new Reporter(io.stderr, { mode, logFormat, ...(mode === 'tty' ? {} : { intervalMs: plainInterval(io.env) }) });
  const log = new ConversionLog({ verbose: s.verbose });
  reporter.attach(log, { verbose: s.verbose, debug: s.debug, quiet: quietFlag });
  const say = (level: 'INFO' | 'WARNING', m: string) => { if (!(quietFlag && !s.verbose)) reporter.notice(level, m); };

  let source = str(o.source);
  let output = str(o.output);
  let { r, rv, topL } = s;
  let originalSubdir = str(o.originalSubdir) ?? null;
  const interactive = o.interactive === true;
  if (interactive) {
    // loaded on demand: a plain conversion never needs the assistant, the Hub client or the planner
    // (metadata.js too: it pulls in the tokenizer stage, which start-up has no use for)
    const [{ lineReader, runAssistant }, { withDefaults }] = await Promise.all([import('./interactive.js'), import('../pipeline/metadata.js')]);
    const input = lineReader(io.stdin ?? process.stdin);
    try {
      const a = await runAssistant(input, (t) => io.stdout.write(t), {
        ...(source !== undefined ? { source } : {}), ...(output !== undefined ? { output } : {}),
        ...withDefaults({ r, rv, topL }), originalSubdir, cwd: process.cwd(),
      });
      ({ source, output, r, rv, topL, originalSubdir } = a);
    } finally {
      input.close();
    }
  }
  if (source === undefined || output === undefined) throw new UsageError('--source and --output are required');

  let cleanup = () => undefined as void;
  let hubLabel: { dir: string; label: string } | null = null;
  if (isHubSource(source)) {
    const { fetchCheckpoint } = await import('../hub/index.js');
    const got = await fetchCheckpoint(source, {
      env: io.env, cacheDir: str(o.cacheDir), originalSubdir, onProgress: reporter.download,
      onInfo: (m) => { if (mode !== 'off') say('INFO', m); }, headersOnly: o.dryRun === true,
    }).catch((e: unknown) => {
      reporter.close(); // the error report starts on a fresh line
      throw e;
    });
    cleanup = got.cleanup;
    if (o.dryRun === true) hubLabel = { dir: got.dir, label: `hf:${got.repo}@${got.commit}` };
    if (mode !== 'off') {
      say('INFO', `${got.repo}@${got.commit.slice(0, 12)}: ${got.files.length} files ready in ${got.dir}` +
        (got.downloaded ? ` (${got.downloaded} bytes downloaded)` : ' (all from the cache)'));
    }
    source = got.dir;
  }

  // run by convert()/the planner on the config they parse (not logged: a notice on stderr)
  const onConfig: ConvertOptions['onConfig'] = (raw, settings) => {
    const warning = profileWarning(raw, settings);
    if (warning) say('WARNING', warning);
  };
  const run: PreparedRun = {
    source, output, r, rv, topL, originalSubdir, interactive, log, onConfig,
    onProgress: mode === 'off' ? undefined : reporter.progress,
    close: () => reporter.close(),
  };
  if (o.dryRun === true) {
    try {
      const { planConversion, renderPlan } = await import('../pipeline/plan.js');
      const plan = await planConversion({ source, output, r, rv, topL, originalSubdir, ...s.flags, onConfig });
      const text = renderPlan(plan, s.format);
      // the stand-in folder of a Hub dry run is temporary: name the repository instead
      io.stdout.write((hubLabel ? text.split(hubLabel.dir).join(hubLabel.label) : text) + '\n');
    } finally {
      cleanup();
    }
    run.exitCode = 0;
  }
  return run;
}
