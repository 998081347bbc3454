import type { Failure, Step } from './errors.ts';
import { send, TransportError, type HttpRequest, type HttpResponse } from './http.ts';
import { timeLimit, type Budget } from './time-limit.ts';
import type { Decoded } from './xiaomi-response.ts';

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
