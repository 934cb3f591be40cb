// The sera-transfer command line (cac): convert (the default command), inspect,
// verify and rebuild.
import { cac } from 'cac';
import { dirname } from 'node:path';
import { readFileSync } from 'node:fs';
import { mkdirp, writeFile } from '../io/fs.js';
import { UsageError } from '../errors.js';
import { CONVERT_FLAGS, CONVERT_OPTIONS, OTHER_COMMANDS, choiceFlag, lastValue, normalizeArgv, parseIntFlag, reportFlags, resolveVerbose, validateBackendFlags } from './args.js';
import { reportError, reportErrorJson } from './report.js';
import { addSynthOptions, synthCommand } from '../synth/cli.js';
import { resolvePath } from '../io/paths.js';
import { InterruptGuard, InterruptedError } from './signals.js';
import { prepareRun, type RunFlags } from './workflow.js';
import { applyProfile } from './profiles.js';
import { BridgeWorker, bridgeOnWorker, guessWeightBytes } from '../stages/bridge-spawn.js';

export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Answers for --interactive (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** A bridge worker bin/sera-transfer.js started before loading the CLI (cli/early-worker.ts): a conversion takes or stops it. */
  bridgeWorker?: BridgeWorker | null;
  /** bin/sera-transfer.js: the process ends when main returns (see runConvert's signal guard). */
  exitsAfter?: boolean;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return '0.0.0';
  }
}

type Opts = Record<string, any>;

let converterLoaded = false;

/** Whether this process loaded the converter: under Node, bin/sera-transfer.js then keeps the code cache it leaves (src/cli/code-cache.ts). */
export function loadedConverter(): boolean {
  return converterLoaded;
}

async function runConvert(o: Opts, rawArgv: string[], io: CliIO): Promise<number> {
  const debug = !!o.debug;
  const verbose = resolveVerbose(rawArgv, io.env) || debug;
  if (!o.interactive && (o.source === undefined || o.output === undefined || o.source === true || o.output === true)) {
    const missing = [o.source === undefined || o.source === true ? '--source' : null, o.output === undefined || o.output === true ? '--output' : null].filter(Boolean);
    throw new UsageError(`${missing.join(' and ')} required unless --interactive is supplied`, 'sera-transfer --source CHECKPOINT_DIR --output OUTPUT_DIR');
  }
  applyProfile(o);
  const r = parseIntFlag('r', o.r);
  const rv = parseIntFlag('rv', o.rv);
  const topL = parseIntFlag('topL', o.topL);
  const torchThreads = parseIntFlag('torch-threads', o.torchThreads);
  const numpyThreads = parseIntFlag('numpy-threads', o.numpyThreads);
  const format = choiceFlag('summary-format', o.summaryFormat, ['table', 'json'] as const) ?? 'table';
  const quantizeExperts = choiceFlag('quantize-experts', o.quantizeExperts, ['mxfp4'] as const);
  validateBackendFlags({
    backend: o['mxfp4-backend'], torchThreads, numpyThreads, // cac does not camel-case a name with a digit before the dash
    cpuAffinity: o.cpuAffinity, assumeFtz: !!o.assumeFtz, assumeFma: !!o.assumeFma,
  });

  // built once: the dry run plans with exactly what the conversion would get
  const flags: RunFlags = {
    strictTokenizer: !!o.strictTokenizer, force: !!o.force, assumeFtz: !!o.assumeFtz, assumeFma: !!o.assumeFma,
    mxfp4Shards: lastFlag(o['mxfp4-shards']), allowNanScales: !!o.allowNanScales, quantizeExperts,
  };
  const run = await prepareRun(o, { r, rv, topL, verbose, debug, format, flags }, io);
  if (run.exitCode !== undefined) return run.exitCode;
  // the bridge worker starts before the converter loads (if bin did not start it even earlier),
  // so the two start-ups overlap (see stages/bridge-spawn.ts)
  const bridgeWorker = io.bridgeWorker
    ?? (bridgeOnWorker(guessWeightBytes(resolvePath(run.source), run.originalSubdir)) ? BridgeWorker.spawn() : null);
  // loaded here, not at start-up: the converter is most of the code, and --help, --version and the other commands do without it
  const [{ convert }, { renderSummary }] = await Promise.all([import('../convert.js'), import('../format/summary.js')])
    .catch((e: unknown) => { bridgeWorker?.release(); throw e; });
  converterLoaded = true;
  const log = run.log;
  let result;
  const guard = new InterruptGuard({ output: resolvePath(run.output), pauseAt: io.env.SERA_TRANSFER_TEST_PAUSE, stderr: io.stderr });
  let committed = false;
  try {
    result = await convert({
      source: run.source, output: run.output, r: run.r, rv: run.rv, topL: run.topL,
      originalSubdir: run.originalSubdir, onProgress: run.onProgress, onConfig: run.onConfig,
      verbose, ...flags, log, debugLogs: debug, checkpoint: guard.checkpoint, bridgeWorker,
    });
    committed = true;
  } catch (err) {
    run.close();
    if (debug && !(err instanceof InterruptedError)) {
      // keep the evidence beside the output folder: a failed run never touches the folder itself
      try {
        const path = `${resolvePath(run.output)}.sera-failed.log`;
        mkdirp(dirname(path));
        writeFile(path, log.text() + `${(err as Error)?.stack ?? String(err)}\n`);
        io.stderr.write(`sera-transfer: debug log written to ${path}\n`);
      } catch { /* the original error matters more */ }
    }
    throw err;
  } finally {
    // once the package is committed a process that ends with main keeps the guard, which
    // only records: a signal while the summary is written must not end it with 130 and no
    // message (bin ignores signals after main returns); in-process callers get the default back
    if (!(committed && io.exitsAfter)) guard.dispose();
    bridgeWorker?.release(); // convert() releases it too
  }
  await guard.holdAt('summary'); // the test hook for a signal after the commit
  if (run.interactive) { io.stdout.write('\n' + renderSummary(result.summary, 'table') + '\n'); return 0; } // the reference's assistant ignores the summary flags
  const text = renderSummary(result.summary, format);
  if (o.summaryOutput !== undefined && o.summaryOutput !== true) {
    const p = resolvePath(String(o.summaryOutput));
    mkdirp(dirname(p));
    writeFile(p, text.endsWith('\n') ? text : text + '\n');
  }
  if (o.summary !== false) io.stdout.write(text + '\n');
  return 0;
}

/** --mxfp4-shards / --no-mxfp4-shards: the last one given wins (argparse); undefined when neither is. */
function lastFlag(v: unknown): boolean | undefined {
  const last = lastValue(v);
  return typeof last === 'boolean' ? last : undefined;
}


export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  try {
    const cli = cac('sera-transfer');
    const addConvertOptions = (c: ReturnType<typeof cli.command>) => {
      for (const o of CONVERT_OPTIONS) c.option(o.spec, o.description, o.config);
      return c;
    };

    let code = 0;
    // argparse-style prefixes are the convert command's (the reference's CLI); the other
    // commands take their flags as declared, so `synth --d` is not read as --debug/--dry-run
    const normalized = OTHER_COMMANDS.has(argv[0] ?? '') ? argv : normalizeArgv(argv, CONVERT_FLAGS);
    addConvertOptions(cli.command('[...args]', 'Convert a checkpoint (same as `convert`)'))
      .action(async (args: string[], o: Opts) => {
        if (args.length) throw new UsageError(`unknown command or argument: ${args[0]}`, "run 'sera-transfer --help'");
        code = await runConvert(o, normalized, io);
      });
    addConvertOptions(cli.command('convert', 'Convert a checkpoint into a Sera package'))
      .action(async (o: Opts) => { code = await runConvert(o, normalized, io); });
    cli.command('inspect <dir>', 'Print the manifest sections and the arrays of a package')
      .option('--json', 'Machine-readable output')
      .action(async (dir: string, o: Opts) => { code = await (await import('./inspect.js')).inspectCommand(dir, !!o.json, io); });
    cli.command('verify <dir>', 'Re-read every array and check it against its header, the manifest and sera_state.json')
      .option('--json', 'Machine-readable output')
      .action(async (dir: string, o: Opts) => { code = await (await import('./verify-command.js')).verifyCommand(dir, !!o.json, io); });
    cli.command('rebuild <dir>', 'Regenerate sera_manifest.bin and the artefact records from arrays/')
      .action(async (dir: string) => { code = await (await import('./rebuild.js')).rebuildCommand(dir, io); });
    addSynthOptions(cli.command('synth', 'Write a synthetic checkpoint (gpt-oss or dense) for tests and benchmarks'))
      .action(async (o: Opts) => { code = await synthCommand(o, io); });
    cli.help();
    cli.version(version());
    const parsed = cli.parse(['node', 'sera-transfer', ...normalized], { run: false });
    if (parsed.options.help || parsed.options.version) return 0;
    await cli.runMatchedCommand();
    return code;
  } catch (err) {
    const { debug, jsonLogs } = reportFlags(argv, CONVERT_FLAGS);
    return jsonLogs ? reportErrorJson(err, io.stderr, debug) : reportError(err, io.stderr, debug);
  }
}
