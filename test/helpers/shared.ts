// scripts/lib/shared.mjs (corpus, runtimes, folder walking, the CLI as a child
// process), typed, for the tests. They run from dist/test, where a static
// relative import would point into dist/, so the module is loaded from the
// repository root.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (this file runs as dist/test/helpers/shared.js). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const shared = await import(pathToFileURL(join(repoRoot, 'scripts/lib/shared.mjs')).href) as typeof import('../../scripts/lib/shared.mjs');
export const { CLI, caseCommand, corpusDir, readTree, spawnCli, walkTree, withPaths } = shared;
