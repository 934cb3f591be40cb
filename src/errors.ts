// Typed errors. Every error a user can cause maps to one message line, a hint
// line and an exit code (2 usage, 1 conversion); no stack trace unless --debug.

export class SeraError extends Error {
  /** Process exit code for this error class. */
  readonly exitCode: number = 1;
  /** One line telling the user what to do about it. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Bad command-line usage (exit 2). */
export class UsageError extends SeraError {
  override readonly exitCode = 2;
}

/** A file could not be read or written (names the path and the system error). */
export class IoError extends SeraError {
  readonly path: string;
  readonly code: string | undefined;
  constructor(message: string, path: string, code?: string, hint?: string) {
    super(message, hint);
    this.path = path;
    this.code = code;
  }
}

/** A safetensors file, header or shard index is malformed. */
export class SafetensorsError extends SeraError {
  readonly file: string;
  readonly tensor: string | undefined;
  constructor(file: string, message: string, opts: { tensor?: string; hint?: string } = {}) {
    super(`${file}: ${opts.tensor ? `tensor '${opts.tensor}': ` : ''}${message}`, opts.hint);
    this.file = file;
    this.tensor = opts.tensor;
  }
}

/** config.json is missing, unreadable or inconsistent. */
export class ConfigError extends SeraError {}

/** Tensor names, roles or shapes do not fit the model. */
export class ModelError extends SeraError {}

/** The tokenizer cannot be loaded or used. */
export class TokenizerError extends SeraError {}

/** A stage's numeric precondition failed (e.g. overlay dimensions). */
export class StageError extends SeraError {}

/** A Sera package (array file, manifest, state) is malformed. */
export class FormatError extends SeraError {
  readonly file: string | undefined;
  constructor(message: string, file?: string, hint?: string) {
    super(file ? `${file}: ${message}` : message, hint);
    this.file = file;
  }
}

/** An input file the conversion needs was not found. */
export class NotFoundError extends SeraError {}
