/**
 * A sign-in's time budget, and how each Xiaomi call spends it: one attempt, and a second one only
 * where it cannot make things worse (docs/how-it-works.md, "When a call is tried again").
 */
import { ConnectorErrorCodes } from '@logto/connector-kit';

import { ConnectorFailure, type Failure, type Step } from './errors.ts';
import { send, TransportError, type HttpRequest, type HttpResponse } from './http.ts';
import type { Decoded } from './xiaomi-response.ts';

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

type LogtoCall = 'getConfig' | 'getSession' | 'setSession';

/**
 * One of Logto's own callbacks, which nothing else bounds: settles like it, or fails with
 * `logto-timeout` once `signal` aborts. A callback that throws synchronously (Logto's
 * `notImplemented`) or returns a plain value is taken as it is.
 */
export const fromLogto = async <T>(
  call: LogtoCall,
  run: () => T | Promise<T>,
  signal: AbortSignal,
): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timedOut = () => {
      reject(new ConnectorFailure({ kind: 'logto-timeout', call }));
    };
    if (signal.aborted) {
      timedOut();
      return;
    }
    signal.addEventListener('abort', timedOut, { once: true });
    const settle = () => {
      signal.removeEventListener('abort', timedOut);
    };
    new Promise<T>((ran) => {
      ran(run());
    }).then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });

/**
 * Logto's admin and "my account" APIs pass `notImplemented` from `@logto/cli` as `getSession`
 * and `setSession`: they keep no session by design.
 */
export const isNotImplemented = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === ConnectorErrorCodes.NotImplemented;

/**
 * An attempt gives up after this share of the sign-in's time: a stalled first attempt leaves room
 * for a second one, and for the calls after it (4 s of the 10 s).
 */
const attemptShare = 0.4;

/** OA_INVALID_CODE: what a code Xiaomi already redeemed answers. */
const codeAlreadyUsed = 96013;

type Attempt<T> = {
  decoded: Decoded<T>;
  /** Whether Xiaomi may have read the request (TransportError.reached). */
  reached: boolean;
  /** A reused connection that had been dropped while idle (TransportError.stale). */
  stale: boolean;
};

const attempt = async <T>(
  step: Step,
  request: HttpRequest,
  decode: (step: Step, response: HttpResponse) => Decoded<T>,
  budget: Budget,
): Promise<Attempt<T>> => {
  const limit = timeLimit(budget.ms * attemptShare, budget.signal);
  try {
    return {
      decoded: decode(step, await send(request, limit.signal)),
      reached: true,
      stale: false,
    };
  } catch (error: unknown) {
    if (!(error instanceof TransportError)) {
      throw error;
    }
    const reason = error.code === 'ETIMEDOUT' ? 'timed out' : error.code;
    return {
      decoded: { ok: false, failure: { kind: 'network', step, reason } },
      reached: error.reached,
      stale: error.stale,
    };
  } finally {
    limit.clear();
  }
};

/** An answer no client could use: a gateway's 5xx page, or a body broken on the way; not a 4xx. */
const brokenAnswer = (failure: Failure): boolean =>
  failure.kind === 'unexpected' &&
  (failure.status === undefined || failure.status < 400 || failure.status >= 500);

/**
 * Whether a second attempt can turn a failure into a success without risk, per step
 * (docs/how-it-works.md, "When a call is tried again"):
 * - A request that failed on a reused connection before any answer (one dropped while idle) is
 *   taken as unread: any step, the code exchange included (a refresh never goes on a reused
 *   connection).
 * - Xiaomi's own verdicts (a 96xxx code, HTTP 429, a 4xx page) are final: a second attempt gets
 *   the same, or adds load where Xiaomi asked for less.
 * - Open API calls are reads: a network failure or a broken answer is tried once more.
 * - The code exchange too: if Xiaomi redeemed the code before its answer was lost, the second
 *   attempt can only answer 96013, and the sign-in had failed anyway.
 * - A refresh only when Xiaomi cannot have read it (no connection was open): a refresh token
 *   works once, and presenting a spent one again may make Xiaomi revoke what it issued.
 */
const worthASecondAttempt = (
  step: Step,
  { decoded, reached, stale }: Attempt<unknown>,
): boolean => {
  if (decoded.ok) {
    return false;
  }
  if (stale) {
    return true;
  }
  const { failure } = decoded;
  if (step === 'refresh') {
    return failure.kind === 'network' && !reached;
  }
  return failure.kind === 'network' || brokenAnswer(failure);
};

const spentCode = (decoded: Decoded<unknown>): boolean =>
  !decoded.ok &&
  decoded.failure.kind === 'xiaomi' &&
  Number(decoded.failure.xiaomiCode) === codeAlreadyUsed;

/**
 * One Xiaomi call: an attempt, and a second one when the rule above allows it and the sign-in's
 * time is not spent, on a new connection (the pool's next idle one may be as stale as the last).
 * So Xiaomi is sent each call twice at most. Each attempt is bounded by its share of the time.
 */
export const callXiaomi = async <T>(
  step: Step,
  request: HttpRequest,
  decode: (step: Step, response: HttpResponse) => Decoded<T>,
  budget: Budget,
): Promise<Decoded<T>> => {
  const first = await attempt(step, request, decode, budget);
  if (budget.signal.aborted || !worthASecondAttempt(step, first)) {
    return first.decoded;
  }
  const second = await attempt(step, { ...request, ownConnection: true }, decode, budget);
  // A 96013 the first attempt may have caused, by redeeming the code before its answer was lost:
  // the first failure says what went wrong. (A reused connection that failed without an answer is
  // counted too: one whose server read the request and then dropped it looks the same.)
  return step === 'token' && first.reached && spentCode(second.decoded)
    ? first.decoded
    : second.decoded;
};
