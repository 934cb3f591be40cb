// SERA_TRANSFER_THREADS set for the length of a call (sync or async), then restored.
export function withThreads<T>(value: string | undefined, f: () => T): T {
  const saved = process.env.SERA_TRANSFER_THREADS;
  const restore = () => {
    if (saved === undefined) delete process.env.SERA_TRANSFER_THREADS;
    else process.env.SERA_TRANSFER_THREADS = saved;
  };
  if (value === undefined) delete process.env.SERA_TRANSFER_THREADS;
  else process.env.SERA_TRANSFER_THREADS = value;
  let r: T;
  try {
    r = f();
  } catch (e) {
    restore();
    throw e;
  }
  if (r instanceof Promise) return r.finally(restore) as T;
  restore();
  return r;
}
