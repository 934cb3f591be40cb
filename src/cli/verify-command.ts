// `sera-transfer verify DIR`: exit 0 when every check holds, 1 with the list of problems.
import { verifyPackage } from '../verify.js';
import { isDirectory } from '../io/fs.js';
import { resolvePath } from '../io/paths.js';
import { loadCrc32c } from '../kernels/crc32c.js';
import { UsageError } from '../errors.js';
import { dumps } from '../format/pyjson.js';
import { dict, int } from '../format/pyvalue.js';
import type { ArrayCheck } from '../format/array-file.js';
import type { CliIO } from './main.js';

export async function verifyCommand(dirArg: string, json: boolean, io: CliIO): Promise<number> {
  await loadCrc32c(); // the array checks verify CRC32C checksums
  const dir = resolvePath(dirArg);
  if (!isDirectory(dir)) throw new UsageError(`${dir} is not a folder`, 'pass the output folder of a conversion');
  const checks: ArrayCheck[] = [];
  const problems = verifyPackage(dir, { checks });
  if (json) {
    io.stdout.write(dumps(dict({ package: dir, ok: problems.length === 0, arrays_checked: int(checks.length), problems })) + '\n');
  } else if (problems.length === 0) {
    io.stdout.write(`OK ${dir}: ${checks.length} arrays, manifest and sera_state.json consistent\n`);
  } else {
    io.stdout.write(`FAILED ${dir}: ${problems.length} problem(s)\n`);
    for (const p of problems) io.stdout.write(`  - ${p}\n`);
  }
  return problems.length ? 1 : 0;
}
