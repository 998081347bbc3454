/**
 * Xiaomi's wire quirks, decoded here and nowhere else:
 * - token bodies start with the literal `&&&START&&&`, sometimes followed by whitespace;
 * - keys may carry stray spaces (`"token_type "`), numbers may arrive as strings;
 * - HTTP 200 is used for most errors, so the body decides, not the status;
 * - Open API bodies are an envelope `{ result, description, data, code }`.
 */
import type { Failure, Step } from './errors.ts';
import type { HttpResponse } from './http.ts';

type JsonObject = Record<string, unknown>;

export type Decoded<T> = { ok: true; value: T } | { ok: false; failure: Failure };

const tokenBodyPrefix = '&&&START&&&';

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

const text = (value: unknown): string | undefined => {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
};

const number = (value: unknown): number | undefined => {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
};

/** Xiaomi's error codes arrive as numbers or numeric strings; 0 means success. */
const errorCode = (value: unknown): number | string | undefined => {
  const numeric = number(value);
  if (numeric !== undefined) {
    return numeric === 0 ? undefined : numeric;
  }
  return text(value);
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

const xiaomiError = (
  step: Step,
  xiaomiCode: number | string,
  description: unknown,
): Decoded<never> => ({
  ok: false,
  failure: { kind: 'xiaomi', step, xiaomiCode, description: text(description) },
});

export type XiaomiToken = {
  accessToken: string;
  expiresIn?: number;
  refreshToken?: string;
  scope?: string;
  tokenType?: string;
  macKey?: string;
};

/** Decodes a token endpoint answer (code exchange or refresh); requires only `access_token`. */
export const decodeTokenResponse = (step: Step, response: HttpResponse): Decoded<XiaomiToken> => {
  const parsed = parseBody(response.body);
  if (!parsed) {
    return unusable(step, response, describeBody(response));
  }
  const body = normaliseKeys(parsed);
  const code = errorCode(body.error);
  if (code !== undefined) {
    return xiaomiError(step, code, body.error_description);
  }
  const accessToken = text(body.access_token);
  if (!accessToken || response.status >= 300) {
    return unusable(
      step,
      response,
      accessToken ? 'an error status' : 'no access_token in the answer',
    );
  }
  return {
    ok: true,
    value: {
      accessToken,
      expiresIn: number(body.expires_in),
      refreshToken: text(body.refresh_token),
      scope: text(body.scope),
      tokenType: text(body.token_type),
      macKey: text(body.mac_key),
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
  const code = errorCode(body.code);
  if (code !== undefined) {
    return xiaomiError(step, code, body.description);
  }
  const result = text(body.result)?.toLowerCase();
  if (result !== undefined && result !== 'ok') {
    return unusable(step, response, `result "${result.slice(0, 40)}"`);
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
