// Shared by the reliability tests: folder snapshots (to prove a package was not
// touched), leftovers of a conversion, and a CLI child process that can be
// interrupted at a chosen moment.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, lstatSync, cpSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { repoRoot } from '../helpers/corpus.js';

export const CLI = join(repoRoot, 'bin/sera-transfer.js');

/** Every file under `dir` (relative path → sha256 + size); folders as entries too. */
export function snapshotTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isDirectory()) { out.set(`${r}/`, 'dir'); walk(p, r); } else {
        out.set(r, `${st.size}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
      }
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

/** Differences between two snapshots, one line each (empty when identical). */
export function diffTrees(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (!b.has(k)) out.push(`missing ${k}`); else if (b.get(k) !== v) out.push(`changed ${k}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`added ${k}`);
  return out;
}

/** Staging folders, old-package folders and lock files a conversion to `output` left next to it. */
export function leftovers(output: string): string[] {
  const parent = dirname(output);
  const name = basename(output);
  if (!existsSync(parent)) return [];
  return readdirSync(parent).filter((e) => e.startsWith(`.${name}.sera-`));
}

export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

export interface ChildRun {
  child: ChildProcess;
  /** stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves when stderr contains `text` (rejects if the process exits first or after `ms`). */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  /** Exit code (128 + n if the process was killed by signal n and could not report it). */
  exit: Promise<number>;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };

/** Starts `node bin/sera-transfer.js ...args` in `cwd`. */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; runtime?: string[] } = {}): ChildRun {
  const runtime = opts.runtime ?? [process.execPath];
  const child = spawn(runtime[0]!, [...runtime.slice(1), CLI, ...args], {
    // progress lines off: the tests read the error report
    cwd: opts.cwd, env: { ...process.env, SERA_TRANSFER_PROGRESS: 'off', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  const waiters: (() => void)[] = [];
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; for (const w of waiters.slice()) w(); });
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  const exit = new Promise<number>((resolve) => {
    child.on('close', (code, sig) => {
      for (const w of waiters.slice()) w();
      resolve(code ?? 128 + (SIGNAL_NUMBERS[sig ?? ''] ?? 0));
    });
  });
  let exited = false;
  void exit.then(() => { exited = true; });
  const waitFor = (text: string | RegExp, ms = 30_000) => new Promise<void>((resolve, reject) => {
    const has = () => (typeof text === 'string' ? err.includes(text) : text.test(err));
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${String(text)}; stderr: ${err}`)); }, ms);
    const check = () => {
      if (has()) { cleanup(); resolve(); } else if (exited || child.exitCode !== null) {
        cleanup(); reject(new Error(`process exited before ${String(text)}; stderr: ${err}`));
      }
    };
    const cleanup = () => { clearTimeout(timer); const i = waiters.indexOf(check); if (i >= 0) waiters.splice(i, 1); };
    waiters.push(check);
    check();
  });
  return { child, stderr: () => err, stdout: () => out, waitFor, exit };
}

/** Runs `tasks` with at most `limit` at a time, keeping result order. */
export async function pool<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** Lines of stderr that look like a JavaScript stack frame. */
export function stackLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\s+at .+\(.*:\d+:\d+\)|^\s+at \S+:\d+:\d+/.test(l));
}

/** The error line and the indented lines after it (hint, --debug detail); progress or log lines are not part of it. */
export function errorReport(stderr: string): string[] {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('sera-transfer: error: '));
  if (at < 0) return [];
  return lines.slice(at).filter((l) => l.startsWith('sera-transfer: error: ') || (/^\s/.test(l) && l.trim().length > 0));
}

/** Wraps a uvu before-hook: uvu counts a throwing hook as failed tests but prints nothing, so print the error. */
export function setup(name: string, fn: () => unknown): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (e) {
      console.error(`[${name}] test setup failed: ${(e as Error)?.stack ?? String(e)}`);
      throw e;
    }
  };
}
