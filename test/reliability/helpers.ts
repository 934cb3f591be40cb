// Shared by the reliability tests: folder snapshots (to prove a package was not
// touched), leftovers of a conversion, and a CLI child process that can be
// interrupted at a chosen moment.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, lstatSync, cpSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { walkTree } from '../helpers/shared.js';

export { spawnCli as runCli } from '../helpers/shared.js';

/** Every file under `dir` (relative path → sha256 + size); folders as entries too. */
export function snapshotTree(dir: string): Map<string, string> {
  return new Map(walkTree(dir).map((e): [string, string] => (e.isDir ? [`${e.rel}/`, 'dir']
    : [e.rel, `${lstatSync(e.path).size}:${createHash('sha256').update(readFileSync(e.path)).digest('hex')}`])));
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
