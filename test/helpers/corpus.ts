// The conformance corpus for tests (../shared/conformance, or the vendored copy):
// its folder (scripts/lib/shared.mjs) and its cases.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseCommand, corpusDir } from './shared.js';

export { corpusDir, repoRoot } from './shared.js';

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
    return { name, dir, expect: meta.port?.expect, args: caseCommand(dir), meta };
  });
}
