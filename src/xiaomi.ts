/**
 * One call to Xiaomi: its time limit, when it is tried again, and what Xiaomi's answer means.
 * Xiaomi's wire quirks are decoded here and nowhere else:
 * - token bodies start with the literal `&&&START&&&`, sometimes followed by whitespace;
 * - keys may carry stray spaces (`"token_type "`); numeric codes and `expires_in` may arrive as
 *   numeric strings;
 * - HTTP 200 is used for most errors, so the body decides, not the status;
 * - Open API bodies are an envelope `{ result, description, data, code }`.
 * Beyond those quirks, every field is checked for its type: a value of the wrong type means a
 * broken answer, and is never coerced into something usable (oauth4webapi's rule).
 */
import { ConnectorFailure, type Failure, type Step } from './errors.ts';
import { send, TransportError, type HttpRequest, type HttpResponse } from './http.ts';

type JsonObject = Record<string, unknown>;

// Time limits

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

/**
 * Aborts after `ms`, or as soon as `parent` aborts, whichever comes first. Not
 * `AbortSignal.timeout` and `AbortSignal.any`: measured on Node 22, a timeout signal cannot be
 * cancelled and keeps about 850 bytes alive until its timer fires (10 s after a sign-in that took
 * 10 ms), and `any` costs 15 to 30 µs and about 2.8 kB per call, for a connector whose whole
 * sign-in costs about 1 ms of CPU. A controller and a timer cleared when the work is done cost 1
 * to 3 µs and leave nothing behind (docs/how-it-works.md).
 */
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

// What an answer means

/** A failure of a Xiaomi call, before the call's step is known to it. */
type CallFailure = Failure extends infer Each
  ? Each extends { step: Step }
    ? Omit<Each, 'step'>
    : never
  : never;

type Decoded<T> = { ok: true; value: T } | { ok: false; failure: CallFailure };

/** Reads an answer; callXiaomi names a failure by the step that made the call. */
export type Decoder<T> = (response: HttpResponse) => Decoded<T>;

const tokenBodyPrefix = '&&&START&&&';

/** `null` counts as absent: servers often send it for a field they have no value for. */
const absent = (value: unknown): boolean => value === undefined || value === null;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses a body as a JSON object, tolerating the token prefix and surrounding whitespace
 * (`trim` also drops a byte-order mark).
 */
const parseBody = (body: string): JsonObject | undefined => {
  let text = body.trim();
  if (text.startsWith(tokenBodyPrefix)) {
    text = text.slice(tokenBodyPrefix.length);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};

/** Trims stray spaces from keys; the first occurrence of a key wins. */
const normaliseKeys = (object: JsonObject): JsonObject => {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    const trimmed = key.trim();
    if (!(trimmed in result)) {
      result[trimmed] = value;
    }
  }
  return result;
};

/**
 * Xiaomi's tokens and keys, as RFC 6749 allows them (visible ASCII, inner spaces), bounded: real
 * ones are a few hundred characters at most.
 */
const tokenText = /^[\x21-\x7e](?:[\x20-\x7e]{0,4094}[\x21-\x7e])?$/;

export const isTokenText = (value: unknown): value is string =>
  typeof value === 'string' && tokenText.test(value);

/**
 * An error field (`error` of a token answer or a callback, `code` of an envelope). Absent, `null`,
 * `0` and `"0"` mean success; numeric codes arrive as numbers or numeric strings. Any other value
 * is an error, even one that carries no usable code (`true`, an object): it never reads as
 * success. The code is passed on as received, for errors.ts to check.
 */
export const decodeErrorField = (
  value: unknown,
): { failed: false } | { failed: true; xiaomiCode: unknown } => {
  if (absent(value)) {
    return { failed: false };
  }
  const numeric =
    typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value) ? Number(value) : value;
  return numeric === 0 ? { failed: false } : { failed: true, xiaomiCode: numeric };
};

const describeBody = (response: HttpResponse): string =>
  response.body.trim() === ''
    ? 'empty body'
    : /^\s*</.test(response.body)
      ? 'an HTML page instead of JSON'
      : 'a body that is not a JSON object';

/** An answer this connector cannot use; HTTP 429 says why better than its body does. */
const unusable = (response: HttpResponse, reason: string): Decoded<never> => ({
  ok: false,
  failure:
    response.status === 429
      ? { kind: 'rate-limited', status: response.status }
      : { kind: 'unexpected', status: response.status, reason },
});

/**
 * What both kinds of answer share: a JSON object, its keys trimmed, whose error field says
 * whether Xiaomi refused (with its description beside it).
 */
const openBody = (
  response: HttpResponse,
  errorKey: 'error' | 'code',
  descriptionKey: 'error_description' | 'description',
): Decoded<JsonObject> => {
  const parsed = parseBody(response.body);
  if (!parsed) {
    return unusable(response, describeBody(response));
  }
  const body = normaliseKeys(parsed);
  const error = decodeErrorField(body[errorKey]);
  return error.failed
    ? {
        ok: false,
        failure: {
          kind: 'xiaomi',
          xiaomiCode: error.xiaomiCode,
          description: body[descriptionKey],
        },
      }
    : { ok: true, value: body };
};

export type XiaomiToken = {
  accessToken: string;
  expiresIn?: number;
  refreshToken?: string;
  scope?: string;
  tokenType?: string;
  macKey?: string;
};

const read = <T>(value: unknown, accept: (value: unknown) => T | undefined): T | undefined =>
  absent(value) ? undefined : accept(value);

const token = (value: unknown) => (isTokenText(value) ? value : undefined);

const shortText = (value: unknown) =>
  typeof value === 'string' && value.length <= 1024 ? value.trim() : undefined;

/** Seconds as a number, or as a numeric string (a Xiaomi quirk). */
const seconds = (value: unknown) => {
  const parsed =
    typeof value === 'string' && /^\s*\d{1,12}\s*$/.test(value) ? Number(value) : value;
  return typeof parsed === 'number' && Number.isSafeInteger(parsed) && parsed >= 0
    ? parsed
    : undefined;
};

/** The optional token fields this connector uses, and what each must be. */
const optionalTokenFields: Record<string, (value: unknown) => unknown> = {
  expires_in: seconds,
  refresh_token: token,
  scope: shortText,
  token_type: shortText,
  mac_key: token,
};

/** A token endpoint answer (code exchange or refresh); only `access_token` is required. */
export const decodeTokenResponse: Decoder<XiaomiToken> = (response) => {
  const opened = openBody(response, 'error', 'error_description');
  if (!opened.ok) {
    return opened;
  }
  const body = opened.value;
  if (!isTokenText(body.access_token)) {
    return unusable(
      response,
      body.access_token === undefined
        ? 'no access_token in the answer'
        : 'access_token is not a token string',
    );
  }
  if (response.status >= 300) {
    return unusable(response, 'an error status');
  }
  const wrong = Object.entries(optionalTokenFields).find(
    ([key, accept]) => !absent(body[key]) && accept(body[key]) === undefined,
  );
  if (wrong) {
    return unusable(response, `${wrong[0]} is of the wrong type`);
  }
  return {
    ok: true,
    value: {
      accessToken: body.access_token,
      expiresIn: read(body.expires_in, seconds),
      refreshToken: read(body.refresh_token, token),
      scope: read(body.scope, shortText),
      tokenType: read(body.token_type, shortText),
      macKey: read(body.mac_key, token),
    },
  };
};

/** An Open API envelope; its `data` object. */
export const decodeOpenApiResponse: Decoder<JsonObject> = (response) => {
  const opened = openBody(response, 'code', 'description');
  if (!opened.ok) {
    return opened;
  }
  const body = opened.value;
  const { result } = body;
  if (!absent(result) && (typeof result !== 'string' || result.trim().toLowerCase() !== 'ok')) {
    return unusable(response, 'its result is not "ok"');
  }
  if (!isObject(body.data) || response.status >= 300) {
    return unusable(response, isObject(body.data) ? 'an error status' : 'no data in the answer');
  }
  return { ok: true, value: normaliseKeys(body.data) };
};

// When a call is tried again

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
  request: HttpRequest,
  decode: Decoder<T>,
  budget: Budget,
): Promise<Attempt<T>> => {
  const limit = timeLimit(budget.ms * attemptShare, budget.signal);
  try {
    return { decoded: decode(await send(request, limit.signal)), reached: true, stale: false };
  } catch (error: unknown) {
    if (!(error instanceof TransportError)) {
      throw error;
    }
    const reason = error.code === 'ETIMEDOUT' ? 'timed out' : error.code;
    return {
      decoded: { ok: false, failure: { kind: 'network', reason } },
      reached: error.reached,
      stale: error.stale,
    };
  } finally {
    limit.clear();
  }
};

/** An answer no client could use: a gateway's 5xx page, or a body broken on the way; not a 4xx. */
const brokenAnswer = (failure: CallFailure): boolean =>
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
 * Returns the decoded answer, or throws its failure, named by `step`.
 */
export const callXiaomi = async <T>(
  step: Step,
  request: HttpRequest,
  decode: Decoder<T>,
  budget: Budget,
): Promise<T> => {
  const first = await attempt(request, decode, budget);
  let { decoded } = first;
  if (!budget.signal.aborted && worthASecondAttempt(step, first)) {
    const second = await attempt({ ...request, ownConnection: true }, decode, budget);
    // A 96013 the first attempt may have caused, by redeeming the code before its answer was
    // lost: the first failure says what went wrong. (A reused connection that failed without an
    // answer is counted too: one whose server read the request and then dropped it looks the same.)
    decoded =
      step === 'token' && first.reached && spentCode(second.decoded)
        ? first.decoded
        : second.decoded;
  }
  if (!decoded.ok) {
    throw new ConnectorFailure({ ...decoded.failure, step });
  }
  return decoded.value;
};
