// Compiles each AssemblyScript kernel (assembly/<name>.ts) to build/<name>.wasm.
// One module per kernel keeps every kernel usable on its own (sera-transfer/kernels).
import asc from 'assemblyscript/asc';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';

const config = JSON.parse(readFileSync(new URL('../asconfig.json', import.meta.url), 'utf8'));
const o = config.options;
mkdirSync(new URL('../build/', import.meta.url), { recursive: true });
const only = process.argv.slice(2);
let failed = 0;
for (const name of config.kernels) {
  if (only.length && !only.includes(name)) continue;
  if (!existsSync(new URL(`../assembly/${name}.ts`, import.meta.url))) continue;
  const args = [
    `assembly/${name}.ts`,
    '--outFile', `build/${name}.wasm`,
    '--runtime', o.runtime,
    '--optimizeLevel', String(o.optimizeLevel),
    '--shrinkLevel', String(o.shrinkLevel),
    '--initialMemory', String(o.initialMemory),
    '--exportStart', o.exportStart,
    ...o.enable.flatMap((f) => ['--enable', f]),
    ...(o.noAssert ? ['--noAssert'] : []),
  ];
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    failed++;
    console.error(`build-wasm: ${name}: ${error.message}`);
    if (stderr) console.error(stderr.toString());
  }
}
if (failed) process.exit(1);
