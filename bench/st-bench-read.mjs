// Child of safetensors-rss.mjs: reads every tensor through the strict reader in
// 8 MiB chunks into one reused buffer and prints a JSON result line.
import { readFileSync } from 'node:fs';
import { loadSafetensorsReader, openSafetensors } from '../dist/src/io/safetensors.js';

const [path, sumsPath] = process.argv.slice(2);
const CHUNK = 8 * 1024 * 1024;
const want = JSON.parse(readFileSync(sumsPath, 'utf8'));
await loadSafetensorsReader();
const t0 = process.hrtime.bigint();
const f = openSafetensors(path);
const buf = new Uint8Array(CHUNK);
let bytes = 0;
let ok = true;
for (const t of f.tensors) {
  let sum = 0;
  for (let off = 0; off < t.byteLength; off += CHUNK) {
    const part = f.read(t, off, Math.min(CHUNK, t.byteLength - off), buf);
    const w = new Uint32Array(part.buffer, part.byteOffset, part.length >>> 2);
    for (let i = 0; i < w.length; i++) sum = (sum + w[i]) >>> 0;
    bytes += part.length;
  }
  if (want[t.name] !== sum) { ok = false; console.log(`checksum mismatch for ${t.name}: ${sum} != ${want[t.name]}`); }
}
f.close();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(JSON.stringify({ bytes, seconds, checksumsOk: ok && Object.keys(want).length === f.tensors.length, vmHwmKb: hwm ? Number(hwm[1]) : -1 }));
