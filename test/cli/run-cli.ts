// Runs the CLI in-process with captured stdout/stderr (and optional stdin).
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], o: { env?: Record<string, string | undefined>; tty?: boolean; stdin?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const env: Record<string, string | undefined> = { ...process.env, SERA_TRANSFER_VERBOSE: undefined, SERA_TRANSFER_PROGRESS: undefined, ...o.env };
  const code = await main(args, {
    stdout: { write: (s: string) => { stdout += s; return true; } },
    stderr: { write: (s: string) => { stderr += s; return true; }, isTTY: !!o.tty, ...(o.tty ? { columns: 200 } : {}) },
    env,
    ...(o.stdin !== undefined ? { stdin: Readable.from([o.stdin]) } : {}),
  });
  return { code, stdout, stderr };
}
