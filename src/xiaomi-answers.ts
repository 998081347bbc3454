/**
 * What Xiaomi's answers mean. Xiaomi's wire quirks are decoded here and nowhere else:
 * - token bodies start with the literal `&&&START&&&`, sometimes followed by whitespace;
 * - keys may carry stray spaces (`"token_type "`); numeric codes and `expires_in` may arrive as
 *   numeric strings;
 * - HTTP 200 is used for most errors, so the body decides, not the status;
 * - Open API bodies are an envelope `{ result, description, data, code }`;
 * - a 96xxx code means something else depending on who answered it (the table at the end).
 * Beyond those quirks, every field is checked for its type: a value of the wrong type means a
 * broken answer, and is never coerced into something usable (oauth4webapi's rule).
 */
import { ConnectorErrorCodes } from '@logto/connector-kit';

import type { Step } from './constant.ts';
import type { HttpResponse } from './http.ts';

export type JsonObject = Record<string, unknown>;

/**
 * What an answer of Xiaomi's can fail with, before the call that got it names its step: Xiaomi
 * refused, the answer is of no use, Xiaomi is throttling, or no answer came.
 */
export type CallFailure =
  /** `xiaomiCode` and `description` are as received: untrusted, errors.ts checks them. */
  | { kind: 'xiaomi'; xiaomiCode?: unknown; description?: unknown }
  /** `reason` is fixed text. */
  | { kind: 'unexpected'; status?: number; reason: string }
  | { kind: 'network'; reason: string }
  | { kind: 'rate-limited'; status: number };

export type Decoded<T> = { ok: true; value: T } | { ok: false; failure: CallFailure };

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
  // Nearly every answer has none: it is passed on as parsed, not copied.
  if (Object.keys(object).every((key) => key.trim() === key)) {
    return object;
  }
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

// What Xiaomi's codes mean

/**
 * A Xiaomi code means something else depending on who answered it: the consent redirect (the user
 * was there), the token endpoint, or an Open API call (made after the user consented).
 */
type Call = 'callback' | 'token' | 'openApi';

const callOf = (step: Step): Call =>
  step === 'callback' ? 'callback' : step === 'token' || step === 'refresh' ? 'token' : 'openApi';

type Meaning = {
  code: ConnectorErrorCodes;
  /** What a Logto admin should know and do about it (`data.hint`). */
  hint: string;
};

type XiaomiErrorEntry = Meaning & {
  /** Xiaomi's name for the code, as in its error-code page. */
  name: string;
  /** Where the code means something else than on the token endpoint. */
  on?: Partial<Record<Call, Meaning>>;
};

/**
 * Xiaomi's numeric OAuth / Open API codes, and what each means for a Logto admin. A row holds what
 * the code means on the token endpoint; `on` holds the calls where it means something else. On the
 * consent redirect, a code without its own `on.callback` means the user did not authorize, unless
 * it names a setup fix (`invalid_config`).
 */
export const xiaomiErrorTable: Record<number, XiaomiErrorEntry> = {
  96001: {
    name: 'OA_CLIENT_NOT_EXISTS',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'Xiaomi does not know this Client ID, or the app’s account service is not enabled: check Client ID (AppID) and enable the account service on Xiaomi’s open platform.',
  },
  96002: {
    name: 'OA_INVALID_REQUEST',
    code: ConnectorErrorCodes.General,
    hint: 'Xiaomi found a parameter missing or malformed. The user starts the sign-in again; if it persists, report it with this error’s data.',
  },
  96003: {
    name: 'OA_INVALID_CLIENT',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'Client ID and Client Secret do not match: copy the AppSecret of this AppID into Client Secret.',
  },
  96004: {
    name: 'OA_INVALID_GRANT',
    code: ConnectorErrorCodes.SocialAuthCodeInvalid,
    hint: 'Xiaomi rejected the grant: the authorization is no longer valid. The user signs in again.',
  },
  96005: {
    name: 'OA_UNAUTHORIZED_CLIENT',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'The Xiaomi app lacks permission for this call: apply for it on Xiaomi’s open platform, or remove the scope.',
  },
  96006: {
    name: 'OA_UNSUPPORTED_GRANT_TYPE',
    code: ConnectorErrorCodes.General,
    hint: 'Xiaomi does not allow this grant type for the app: check the app’s type and status on Xiaomi’s open platform.',
  },
  96007: {
    name: 'OA_INVALID_SCOPE',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'A scope id is unknown or not granted to the app: check Scopes and Scope (other ids) against the scopes approved on Xiaomi’s open platform.',
  },
  96008: {
    name: 'OA_INVALID_TOKEN',
    code: ConnectorErrorCodes.SocialAccessTokenInvalid,
    hint: 'The Xiaomi access token is wrong or expired. The user signs in again.',
  },
  96009: {
    name: 'OA_INVALID_REFRESHTOKEN',
    code: ConnectorErrorCodes.SocialAccessTokenInvalid,
    hint: 'The Xiaomi refresh token is wrong, expired or was already used (each works once): the user must sign in with Xiaomi again.',
  },
  96010: {
    name: 'OA_INVALID_REDIRECT_URI',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'The redirect URI does not match the callback registered for the Xiaomi app: register ${your_logto_origin}/callback/${connector_id} on Xiaomi’s open platform.',
  },
  96011: {
    name: 'OA_UNSUPPORTED_RESPONSE_TYPE',
    code: ConnectorErrorCodes.General,
    hint: 'Xiaomi does not allow this response type for the app: check the app’s type and status on Xiaomi’s open platform.',
  },
  96012: {
    name: 'OA_ACCESS_DENIED',
    code: ConnectorErrorCodes.AuthorizationFailed,
    hint: 'The user cancelled on Xiaomi’s consent page, or Xiaomi refused the authorization.',
    on: {
      // The user consented before the code was issued: on the token endpoint, 96012 is Xiaomi
      // refusing the app, not the user cancelling. Xiaomi's docs list no other meaning for it.
      token: {
        code: ConnectorErrorCodes.InvalidConfig,
        hint: 'Xiaomi refused the token endpoint’s grant for an authorization the user had given (its docs use this code when the user or Xiaomi refuses, and the user already consented). Check the app’s status and its approved permissions and scopes on Xiaomi’s open platform. On a refresh alone, the user may also have revoked the app in their Xiaomi account: they sign in with Xiaomi again.',
      },
      // The user consented before any Open API call is made; Xiaomi refuses the call itself, and
      // answers 96012 to a call that lacks a valid MAC signature.
      openApi: {
        code: ConnectorErrorCodes.InvalidConfig,
        hint: 'Xiaomi refused an Open API call the user had consented to, as it does when the call carries no valid MAC signature. If the Xiaomi app requires MAC signatures, turn on "Sign Open API calls (MAC)"; if it is on, check the server’s clock (each nonce carries the current minute) and the app’s status on Xiaomi’s open platform.',
      },
    },
  },
  96013: {
    name: 'OA_INVALID_CODE',
    code: ConnectorErrorCodes.SocialAuthCodeInvalid,
    hint: 'The authorization code is invalid, expired (codes live 5 minutes) or already used. The user signs in again.',
  },
};

const unknownCode: Meaning = {
  code: ConnectorErrorCodes.General,
  hint: 'Xiaomi’s error-code page does not list this code; on a token or Open API answer, xiaomiDescription holds what Xiaomi said.',
};

/** What a Xiaomi code means for this step, by the table. */
export const meaningOf = (step: Step, xiaomiCode: number | string | undefined): Meaning => {
  const entry = typeof xiaomiCode === 'number' ? xiaomiErrorTable[xiaomiCode] : undefined;
  const call = callOf(step);
  const meaning = entry?.on?.[call] ?? entry ?? unknownCode;
  // Any other error on the consent redirect means the user did not authorize.
  return call === 'callback' && meaning.code !== ConnectorErrorCodes.InvalidConfig
    ? { code: ConnectorErrorCodes.AuthorizationFailed, hint: meaning.hint }
    : meaning;
};
