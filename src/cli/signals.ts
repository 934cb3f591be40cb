// Ctrl-C and `kill` during a conversion. The conversion is synchronous between
// its stages, and a JS engine only runs signal handlers between event-loop
// turns, so the handler just records the signal; the conversion polls it at
// checkpoints (every stage boundary, between the tensors or layers of the long
// stages, and just before the commit), where it yields
// one loop turn. Throwing InterruptedError there runs the normal failure path:
// the staging folder is removed, the lock released, a previous package kept.
// The commit itself is synchronous, so a signal can never split it.
import { setImmediate, setTimeout, clearTimeout } from 'node:timers';
import { SeraError } from '../errors.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit codes by the shell convention 128 + signal number. */
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The conversion stopped at a checkpoint because of a signal. */
export class InterruptedError extends SeraError {
  override readonly exitCode: number;
  readonly signal: StopSignal;
  /** The stage that was about to start (or running, for a checkpoint within a long stage). */
  readonly stage: string;

  constructor(signal: StopSignal, stage: string, output?: string, within = false) {
    super(`interrupted by ${signal} ${within ? 'during' : 'before'} stage '${stage}': the unfinished package was removed` +
      (output ? ` and ${output} was left as it was` : ''),
      'nothing was converted; run the same command again to start over');
    this.exitCode = SIGNAL_EXIT_CODES[signal];
    this.signal = signal;
    this.stage = stage;
  }
}

/** What the guard listens on (process, or a stand-in in tests). */
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown;
  off(event: StopSignal, listener: () => void): unknown;
}

export interface InterruptGuardOptions {
  /** The --output folder, named in the message. */
  output?: string;
  /**
   * Test hook (SERA_TRANSFER_TEST_PAUSE): at this checkpoint, write a marker line
   * to `stderr` and wait for a signal (at most `pauseMs`), so tests can interrupt
   * at an exact stage.
   */
  pauseAt?: string;
  pauseMs?: number;
  stderr?: { write(s: string): unknown };
  source?: SignalSource;
}

/** The marker line the test hook writes before waiting. */
export function pauseMarker(stage: string): string {
  return `sera-transfer: test pause before stage '${stage}' (waiting for a signal)`;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Records SIGINT/SIGTERM while installed and turns them into InterruptedError at checkpoints. */
export class InterruptGuard {
  #signal: StopSignal | null = null;
  #opts: InterruptGuardOptions;
  #source: SignalSource;
  #wake: (() => void) | null = null;
  #disposed = false;
  // one listener per signal: not every runtime passes the signal name to the listener
  #onInt = () => this.#record('SIGINT');
  #onTerm = () => this.#record('SIGTERM');

  constructor(opts: InterruptGuardOptions = {}) {
    this.#opts = opts;
    this.#source = opts.source ?? (process as unknown as SignalSource);
    this.#source.on('SIGINT', this.#onInt);
    this.#source.on('SIGTERM', this.#onTerm);
  }

  #record(sig: StopSignal): void {
    if (this.#signal === null) this.#signal = sig;
    this.#wake?.();
  }

  /** The first signal received, or null. */
  get signal(): StopSignal | null {
    return this.#signal;
  }

  /**
   * A checkpoint before `stage`: yields one event-loop turn (so a pending signal
   * is delivered) and throws InterruptedError if a signal arrived. Bound, so it
   * can be passed as a callback.
   */
  checkpoint = async (stage: string, within = false): Promise<void> => {
    this.#throwIfStopped(stage, within);
    if (!within && this.#opts.pauseAt === stage) await this.#pause(stage);
    await yieldTurn();
    this.#throwIfStopped(stage, within);
  };

  /** The test hook alone, where a signal no longer stops anything (after the commit): pauses at `stage` when asked. */
  async holdAt(stage: string): Promise<void> {
    if (this.#opts.pauseAt === stage) await this.#pause(stage);
  }

  #throwIfStopped(stage: string, within: boolean): void {
    if (this.#signal) throw new InterruptedError(this.#signal, stage, this.#opts.output, within);
  }

  async #pause(stage: string): Promise<void> {
    this.#opts.stderr?.write(pauseMarker(stage) + '\n');
    await new Promise<void>((resolve) => {
      // a ref'd timer keeps the process alive while waiting (signal watchers do not)
      const timer = setTimeout(done, this.#opts.pauseMs ?? 60_000);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = null;
  }

  /** Stops listening; the runtime's default signal behaviour returns. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#source.off('SIGINT', this.#onInt);
    this.#source.off('SIGTERM', this.#onTerm);
    this.#wake?.();
  }
}
