// What the scripts, the benchmarks and the tests (through test/helpers/shared.ts)
// share: the repository's paths, the conformance corpus and its case commands,
// the JavaScript runtimes, folder walking, and the CLI as a child process.
// Plain JavaScript so that node, deno and bun load it as is; types in shared.d.mts.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(root, 'bin/sera-transfer.js');

/** The command that runs a script under each runtime (deno and bun come from devDependencies). */
export const RUNTIMES = {
  node: [process.execPath],
  deno: [join(root, 'node_modules/.bin/deno'), 'run', '-A'],
  bun: [join(root, 'node_modules/.bin/bun')],
};

/** The conformance corpus: $SERA_CONFORMANCE_DIR, ../shared/conformance or the vendored test/conformance, the first with cases/. */
export function corpusDir() {
  const candidates = [process.env.SERA_CONFORMANCE_DIR, resolve(root, '../shared/conformance'), join(root, 'test/conformance')];
  const dir = candidates.find((d) => d && existsSync(join(d, 'cases')));
  if (!dir) throw new Error('conformance corpus not found (set SERA_CONFORMANCE_DIR)');
  return dir;
}

/** A corpus case's command-line arguments (its `cmd` file holds one a line). */
export function caseCommand(caseDir) {
  return readFileSync(join(caseDir, 'cmd'), 'utf8').split('\n').filter((l) => l.length > 0);
}

/** `args` with the values of --source and --output replaced by `source` and `output`. */
export function withPaths(args, source, output) {
  return args.map((a, i) => (args[i - 1] === '--source' ? source : args[i - 1] === '--output' ? output : a));
}

/**
 * Every entry under `dir`, depth first in name order, as { rel, path, isDir }
 * (`rel` is '/'-separated); symlinks are listed, not followed. [] when `dir` is missing.
 */
export function walkTree(dir) {
  const out = [];
  const walk = (d, rel) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const isDir = lstatSync(path).isDirectory();
      out.push({ rel: r, path, isDir });
      if (isDir) walk(path, r);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

/** Every file under `dir`: relative path → bytes. */
export function readTree(dir) {
  return new Map(walkTree(dir).filter((e) => !e.isDir).map((e) => [e.rel, readFileSync(e.path)]));
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };

/**
 * Starts the CLI (`<runtime> bin/sera-transfer.js ...args`) with progress lines
 * off (callers read stdout and the error report) and its output collected.
 */
export function spawnCli(args, opts = {}) {
  const child = spawn(...runtimeCommand(opts.runtime ?? 'node', [CLI, ...args]), {
    cwd: opts.cwd, env: { ...process.env, SERA_TRANSFER_PROGRESS: 'off', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  const waiters = [];
  const wake = () => { for (const w of waiters.slice()) w(); };
  child.stderr.setEncoding('utf8').on('data', (s) => { err += s; wake(); });
  child.stdout.setEncoding('utf8').on('data', (s) => { out += s; });
  // a runtime that cannot be started: the error goes to stderr, 'close' still follows
  child.on('error', (e) => { err += String(e); });
  let exited = false;
  const exit = new Promise((resolveExit) => {
    child.on('close', (code, sig) => {
      exited = true;
      wake();
      resolveExit(code ?? 128 + (SIGNAL_NUMBERS[sig ?? ''] ?? 0));
    });
  });
  const waitFor = (text, ms = 30_000) => new Promise((resolveWait, reject) => {
    const has = () => (typeof text === 'string' ? err.includes(text) : text.test(err));
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${String(text)}; stderr: ${err}`)); }, ms);
    const check = () => {
      if (has()) { cleanup(); resolveWait(); } else if (exited || child.exitCode !== null) {
        cleanup(); reject(new Error(`process exited before ${String(text)}; stderr: ${err}`));
      }
    };
    const cleanup = () => { clearTimeout(timer); const i = waiters.indexOf(check); if (i >= 0) waiters.splice(i, 1); };
    waiters.push(check);
    check();
  });
  return { child, stderr: () => err, stdout: () => out, waitFor, exit };
}

/** [command, args] that run `scriptArgs` (a script and its arguments) under `runtime`. */
export function runtimeCommand(runtime, scriptArgs) {
  const cmd = RUNTIMES[runtime];
  if (!cmd) throw new Error(`unknown runtime ${runtime} (have ${Object.keys(RUNTIMES).join(', ')})`);
  return [cmd[0], [...cmd.slice(1), ...scriptArgs]];
}
