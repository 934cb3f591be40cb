// Folder helpers for the CLI tests.
import { statSync } from 'node:fs';
import { walkTree } from '../helpers/shared.js';
import { tempDir as ioTempDir } from '../io/st-build.js';

export { readTree } from '../helpers/shared.js';

/** A fresh folder under the system temp dir (sera-cli-<tag>-XXXXXX). */
export function tempDir(tag: string): { dir: string; cleanup(): void } {
  return ioTempDir(`cli-${tag}`);
}

/** Total bytes of the files under `dir`. */
export function treeBytes(dir: string): number {
  return walkTree(dir).filter((e) => !e.isDir).reduce((n, e) => n + statSync(e.path).size, 0);
}
