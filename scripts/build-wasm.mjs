// Compiles each AssemblyScript kernel (assembly/<name>.ts) to build/<name>.wasm.
// One module per kernel keeps every kernel usable on its own (sera-transfer/kernels).
// Run from the repository root (npm does): asc reads the compiler options from
// ./asconfig.json itself, so only the entry and output file are passed here.
import asc from 'assemblyscript/asc';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';

const config = JSON.parse(readFileSync(new URL('../asconfig.json', import.meta.url), 'utf8'));
mkdirSync(new URL('../build/', import.meta.url), { recursive: true });
const only = process.argv.slice(2);
let failed = 0;
for (const name of config.kernels) {
  if (only.length && !only.includes(name)) continue;
  if (!existsSync(new URL(`../assembly/${name}.ts`, import.meta.url))) {
    failed++;
    console.error(`build-wasm: ${name}: assembly/${name}.ts is missing (listed in asconfig.json "kernels")`);
    continue;
  }
  const { error, stderr } = await asc.main([`assembly/${name}.ts`, '--outFile', `build/${name}.wasm`], { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    failed++;
    console.error(`build-wasm: ${name}: ${error.message}`);
    if (stderr) console.error(stderr.toString());
  }
}
if (failed) process.exit(1);
