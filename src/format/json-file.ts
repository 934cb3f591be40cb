// Writes a Python-style JSON document (json.dump(indent=2, sort_keys=True) plus a
// newline) to a file as it is produced: the state of a real model is tens of MB.
import { WriteHandle, type SyncQueue } from '../io/fs.js';
import { dumpTo, type Rendered } from './pyjson.js';
import type { PyValue } from './pyvalue.js';

/** `rendered`: parts of `value` rendered ahead (pyjson renderAhead, default layout). */
export function writeJsonFile(path: string, value: PyValue, queue?: SyncQueue, rendered?: Rendered): void {
  const out = new WriteHandle(path);
  const enc = new TextEncoder();
  try {
    dumpTo(value, (chunk) => out.write(enc.encode(chunk)), rendered ? { rendered } : {});
    out.write(enc.encode('\n'));
    out.close(queue);
  } catch (err) {
    out.abandon();
    throw err;
  }
}
