// Locates the conformance corpus for tests (../shared/conformance, or the vendored copy).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function corpusDir(): string {
  const candidates = [process.env.SERA_CONFORMANCE_DIR, resolve(repo, '../shared/conformance'), join(repo, 'test/conformance')];
  for (const c of candidates) if (c && existsSync(join(c, 'cases'))) return c;
  throw new Error('conformance corpus not found: set SERA_CONFORMANCE_DIR');
}

export interface CorpusCase {
  name: string;
  dir: string;
  expect: 'identical' | 'fail' | 'succeed';
  args: string[];
  meta: any;
}

export function corpusCases(): CorpusCase[] {
  const root = join(corpusDir(), 'cases');
  return readdirSync(root).sort().filter((n) => existsSync(join(root, n, 'cmd'))).map((name) => {
    const dir = join(root, name);
    const meta = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
    const args = readFileSync(join(dir, 'cmd'), 'utf8').split('\n').filter((l) => l.length > 0);
    return { name, dir, expect: meta.port?.expect, args, meta };
  });
}

export const repoRoot = repo;
