// The published package must carry every file the code reads at run time
// (kernels in build/, JSON tables under src/): a file missing from package.json
// "files" only breaks installed copies, never this checkout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './helpers/corpus.js';
import { walkTree } from './helpers/shared.js';

const files: string[] = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).files;

/** True when a package path is covered by one of the "files" entries (plain paths, folders and `dir/*.ext` globs). */
function packaged(path: string): boolean {
  return files.some((f) => {
    if (f.includes('*')) {
      const [dir, ext] = f.split('*');
      return path.startsWith(dir) && path.endsWith(ext) && !path.slice(dir.length).includes('/');
    }
    return path === f || path.startsWith(`${f}/`);
  });
}

const walk = (dir: string): string[] => walkTree(dir).filter((e) => !e.isDir).map((e) => e.path);

test('every src/… file referenced by a runtime URL is listed in package.json "files"', () => {
  const refs = new Set<string>();
  for (const f of walk(join(repoRoot, 'src')).filter((p) => p.endsWith('.ts'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/new URL\('((?:\.\.\/)+)(src\/[^']+\.json)'/g)) refs.add(m[2]);
  }
  assert.ok(refs.size >= 2, `found ${refs.size} runtime JSON references`);
  for (const r of refs) assert.ok(packaged(r), `${r} is read at run time but not in package.json "files"`);
});

test('every built kernel and the compiled library are packaged', () => {
  const wasm = readdirSync(join(repoRoot, 'build')).filter((n) => n.endsWith('.wasm'));
  assert.ok(wasm.length >= 6, `found ${wasm.length} kernels`);
  for (const w of wasm) assert.ok(packaged(`build/${w}`), `build/${w} not packaged`);
  assert.ok(packaged(relative(repoRoot, join(repoRoot, 'dist/src/index.js'))));
  assert.ok(packaged('bin/sera-transfer.js'));
});

test.run();
