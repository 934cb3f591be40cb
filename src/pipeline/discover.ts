// Input discovery (ALGORITHMS.md §3): the search roots and where config.json,
// the weights and the tokenizer are found. config.json and the weights are
// looked up independently, as the reference does. Sharded checkpoints
// (model.safetensors.index.json) are found where model.safetensors is missing.
import { isAbsolute, join } from 'node:path';
import { exists } from '../io/fs.js';
import { searchRootNames } from '../io/paths.js';
import { ConfigError, NotFoundError } from '../errors.js';
import { openCheckpoint, type TensorStore } from '../io/shards.js';
import { parseJsonBytes, JsonParseError } from '../format/json-parse.js';
import type { PyDict, PyValue } from '../format/pyvalue.js';
import type { ConversionLog } from '../log.js';

export class SearchRoots {
  readonly roots: string[] = [];
  readonly source: string;
  readonly #log: ConversionLog;

  constructor(source: string, originalSubdir: string | null, log: ConversionLog) {
    this.source = source;
    this.#log = log;
    for (const name of searchRootNames(originalSubdir, (n) => exists(join(source, n)))) this.add(name === '' ? source : name);
  }

  add(p: string): void {
    let path = p;
    if (!isAbsolute(path)) path = join(this.source, path);
    if (!this.roots.includes(path)) {
      this.roots.push(path);
      this.#log.detail(`Registered search root: ${path}`);
    }
  }

  /** The first root holding `name`, or null. */
  probe(name: string): string | null {
    for (const root of this.roots) {
      const candidate = join(root, name);
      this.#log.detail(`Probing ${candidate}`);
      if (exists(candidate)) {
        this.#log.info(`Located ${name} at ${candidate}`);
        return candidate;
      }
    }
    return null;
  }

  notFound(name: string, hint: string): NotFoundError {
    const message = `Unable to locate '${name}'; searched: ${this.roots.join(', ') || this.source}`;
    this.#log.error(message);
    return new NotFoundError(message, hint);
  }

  find(name: string, hint: string): string {
    const p = this.probe(name);
    if (p === null) throw this.notFound(name, hint);
    return p;
  }
}

export const HINT_CONFIG = "check --source (and --original-subdir): config.json must sit in the source folder, in original/ or original/model/";
export const HINT_WEIGHTS = "check --source (and --original-subdir): model.safetensors (or model.safetensors.index.json with its shards) must sit next to config.json, in original/ or original/model/";

/** config.json's bytes as a Python dict; a user-facing ConfigError when they are not a JSON object. */
export function parseConfigJson(path: string, bytes: Uint8Array): PyDict {
  let data: PyValue;
  try {
    data = parseJsonBytes(bytes);
  } catch (e) {
    if (e instanceof JsonParseError) throw new ConfigError(`${e.message}`, `${path} is not valid JSON; fix or re-download it`);
    if (e instanceof TypeError) throw new ConfigError(`${path} is not valid UTF-8 text`, 're-download config.json');
    throw e;
  }
  if (!(data instanceof Map)) {
    throw new ConfigError(`${path} must hold a JSON object`, "point --source at the checkpoint folder that holds the model's config.json");
  }
  return data;
}

/** The checkpoint's weights: model.safetensors, else the sharded index, from the first root that has either. */
export function openWeights(roots: SearchRoots): TensorStore {
  const single = roots.probe('model.safetensors');
  if (single) return openCheckpoint(single);
  const index = roots.probe('model.safetensors.index.json');
  if (index) return openCheckpoint(index);
  throw roots.notFound('model.safetensors', HINT_WEIGHTS);
}
