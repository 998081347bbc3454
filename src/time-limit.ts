/**
 * Time limits as AbortSignals: one per sign-in, carried through every call, and a shorter one per
 * attempt inside it. Not `AbortSignal.timeout` and `AbortSignal.any`: measured on Node 22, a
 * timeout signal cannot be cancelled and keeps about 850 bytes alive until its timer fires (10 s
 * after a sign-in that took 10 ms), and `any` costs 15 to 30 µs and about 2.8 kB per call, for a
 * connector whose whole sign-in costs about 1 ms of CPU. A controller and a timer cleared when the
 * work is done cost 1 to 3 µs and leave nothing behind (figures in docs/how-it-works.md).
 */
/** What a call needs of a sign-in's time: the signal, and the time it was given in all. */
export type Budget = { signal: AbortSignal; ms: number };

export type TimeLimit = Budget & {
  /** Stops the timer and lets go of the parent; call it when the work is done. */
  clear: () => void;
  /** Aborts now. */
  abort: () => void;
  /** Aborts `ms` from now instead of when it was due. */
  restart: (ms: number) => void;
};

const timedOut = () => new DOMException('The operation timed out.', 'TimeoutError');

/** Aborts after `ms`, or as soon as `parent` aborts, whichever comes first. */
export const timeLimit = (ms: number, parent?: AbortSignal): TimeLimit => {
  const controller = new AbortController();
  const abort = () => {
    controller.abort(parent?.aborted ? parent.reason : timedOut());
  };
  if (parent?.aborted) {
    abort();
  }
  parent?.addEventListener('abort', abort, { once: true });
  const start = (after: number) => {
    // Like AbortSignal.timeout: a pending limit alone does not keep the process alive.
    const started = setTimeout(abort, after);
    started.unref();
    return started;
  };
  let timer = start(ms);
  const clear = () => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', abort);
  };
  return {
    signal: controller.signal,
    ms,
    clear,
    abort: () => {
      clear();
      abort();
    },
    restart: (after: number) => {
      clearTimeout(timer);
      timer = start(after);
    },
  };
};

/**
 * Settles like `promise`, or rejects with the signal's reason once it aborts: for Logto's own
 * callbacks (`getConfig`, `getSession`, `setSession`), which nothing else bounds. A plain value
 * (a callback that is not async) is taken as it is.
 */
export const beforeAbort = async <T>(promise: T | Promise<T>, signal: AbortSignal): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const abort = () => {
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
