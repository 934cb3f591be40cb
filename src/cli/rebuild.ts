// `sera-transfer rebuild DIR`: regenerates sera_manifest.bin and the artefact
// records of sera_state.json from arrays/ and the state's recorded inputs.
import { loadCrc32c } from '../kernels/crc32c.js';
import { resolvePath } from '../io/paths.js';
import { rebuildPackage } from '../rebuild.js';
import type { CliIO } from './main.js';

export async function rebuildCommand(dirArg: string, io: CliIO): Promise<number> {
  await loadCrc32c();
  const dir = resolvePath(dirArg);
  const res = rebuildPackage(dir);
  io.stdout.write(`Rebuilt ${res.manifestPath} (${res.entries} array entries${res.changed ? '' : ', unchanged'})\n`);
  return 0;
}
