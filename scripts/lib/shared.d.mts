// Types of shared.mjs, for the TypeScript tests (test/helpers/shared.ts).
import type { ChildProcess } from 'node:child_process';

export declare const root: string;
export declare const CLI: string;
export type Runtime = 'node' | 'deno' | 'bun';
export declare const RUNTIMES: Record<Runtime, string[]>;
export declare function corpusDir(): string;
export declare function caseCommand(caseDir: string): string[];
export declare function withPaths(args: string[], source: string, output: string): string[];
export interface TreeEntry { rel: string; path: string; isDir: boolean }
export declare function walkTree(dir: string): TreeEntry[];
export declare function readTree(dir: string): Map<string, Buffer>;

export interface CliChild {
  child: ChildProcess;
  /** stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves when stderr contains `text` (rejects if the process exits first or after `ms`, default 30 s). */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  /** Exit code (128 + n if the process was killed by signal n and could not report it). */
  exit: Promise<number>;
}
export declare function spawnCli(args: string[], opts?: { runtime?: Runtime; cwd?: string; env?: Record<string, string> }): CliChild;
export declare function runtimeCommand(runtime: Runtime, scriptArgs: string[]): [string, string[]];
