// Folder helpers for the CLI tests.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkTree } from '../helpers/shared.js';

export { readTree } from '../helpers/shared.js';

export function tempDir(tag: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `sera-cli-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Total bytes of the files under `dir`. */
export function treeBytes(dir: string): number {
  return walkTree(dir).filter((e) => !e.isDir).reduce((n, e) => n + statSync(e.path).size, 0);
}
