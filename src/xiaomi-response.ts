/**
 * Xiaomi's wire quirks, decoded here and nowhere else:
 * - token bodies start with the literal `&&&START&&&`, sometimes followed by whitespace;
 * - keys may carry stray spaces (`"token_type "`); numeric codes and `expires_in` may arrive as
 *   numeric strings;
 * - HTTP 200 is used for most errors, so the body decides, not the status;
 * - Open API bodies are an envelope `{ result, description, data, code }`.
 * Beyond those quirks, every field is checked for its type: a value of the wrong type means a
 * broken answer, and is never coerced into something usable (oauth4webapi's rule).
 */
import type { Failure, Step } from './errors.ts';
import type { HttpResponse } from './http.ts';

type JsonObject = Record<string, unknown>;

export type Decoded<T> = { ok: true; value: T } | { ok: false; failure: Failure };

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
 * An error field (`error` of a token answer, `code` of an envelope). Absent, `null`, `0` and `"0"`
 * mean success; numeric codes arrive as numbers or numeric strings. Any other value is an error,
 * even one that carries no usable code (`true`, an object): it never reads as success. The code
 * is passed on as received, for errors.ts to check.
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
const unusable = (step: Step, response: HttpResponse, reason: string): Decoded<never> => ({
  ok: false,
  failure:
    response.status === 429
      ? { kind: 'rate-limited', step, status: response.status }
      : { kind: 'unexpected', step, status: response.status, reason },
});

const xiaomiError = (step: Step, xiaomiCode: unknown, description: unknown): Decoded<never> => ({
  ok: false,
  failure: { kind: 'xiaomi', step, xiaomiCode, description },
});

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

/** Decodes a token endpoint answer (code exchange or refresh); requires only `access_token`. */
export const decodeTokenResponse = (step: Step, response: HttpResponse): Decoded<XiaomiToken> => {
  const parsed = parseBody(response.body);
  if (!parsed) {
    return unusable(step, response, describeBody(response));
  }
  const body = normaliseKeys(parsed);
  const error = decodeErrorField(body.error);
  if (error.failed) {
    return xiaomiError(step, error.xiaomiCode, body.error_description);
  }
  if (!isTokenText(body.access_token)) {
    return unusable(
      step,
      response,
      body.access_token === undefined
        ? 'no access_token in the answer'
        : 'access_token is not a token string',
    );
  }
  if (response.status >= 300) {
    return unusable(step, response, 'an error status');
  }
  const wrong = Object.entries(optionalTokenFields).find(
    ([key, accept]) => !absent(body[key]) && accept(body[key]) === undefined,
  );
  if (wrong) {
    return unusable(step, response, `${wrong[0]} is of the wrong type`);
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

/** Decodes an Open API envelope and returns its `data` object. */
export const decodeOpenApiResponse = (step: Step, response: HttpResponse): Decoded<JsonObject> => {
  const parsed = parseBody(response.body);
  if (!parsed) {
    return unusable(step, response, describeBody(response));
  }
  const body = normaliseKeys(parsed);
  const error = decodeErrorField(body.code);
  if (error.failed) {
    return xiaomiError(step, error.xiaomiCode, body.description);
  }
  const { result } = body;
  if (!absent(result) && (typeof result !== 'string' || result.trim().toLowerCase() !== 'ok')) {
    return unusable(step, response, 'its result is not "ok"');
  }
  if (!isObject(body.data) || response.status >= 300) {
    return unusable(
      step,
      response,
      isObject(body.data) ? 'an error status' : 'no data in the answer',
    );
  }
  return { ok: true, value: normaliseKeys(body.data) };
};
