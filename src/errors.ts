import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';

import { openApiPaths } from './constant.ts';

/** The step of the sign-in that failed; it tells an admin which Xiaomi call to look at. */
export type Step = 'callback' | 'token' | 'refresh' | 'profile' | 'openId' | 'phoneAndEmail';

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
    hint: 'A scope id is unknown or not granted to the app: check the Scope field against the scopes approved on Xiaomi’s open platform.',
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

/**
 * What the end user reads. Logto shows `data.errorDescription` after "Error occurred in connector:"
 * for `general`, and a fixed phrase of its own for the other codes, so this text is short, plain,
 * and says what the user can do; the admin's detail goes into the other `data` fields.
 */
export const userMessages = {
  cancelled: 'The sign-in with Xiaomi was cancelled or refused.',
  setup: 'Sign-in with Xiaomi is not set up correctly on this site. Please contact its support.',
  expired: 'The sign-in with Xiaomi has expired. Please try again.',
  signInAgain: 'Your Xiaomi sign-in has expired. Please sign in with Xiaomi again.',
  retry: 'Xiaomi could not complete the sign-in. Please try again.',
  unreadable: 'Xiaomi sent an answer that could not be used. Please try again later.',
  unreachable: 'Xiaomi could not be reached. Please try again in a moment.',
  busy: 'Xiaomi is busy right now. Please try again later.',
  restart: 'This sign-in with Xiaomi could not be completed. Please start it again.',
  failed: 'Something went wrong while signing in with Xiaomi. Please try again.',
} as const;

const userMessageFor = (step: Step, code: ConnectorErrorCodes): string => {
  switch (code) {
    case ConnectorErrorCodes.AuthorizationFailed:
      return userMessages.cancelled;
    case ConnectorErrorCodes.InvalidConfig:
      return userMessages.setup;
    case ConnectorErrorCodes.SocialAuthCodeInvalid:
      return userMessages.expired;
    case ConnectorErrorCodes.SocialAccessTokenInvalid:
      return step === 'refresh' ? userMessages.signInAgain : userMessages.expired;
    default:
      return userMessages.retry;
  }
};

/** What went wrong, before it becomes a Logto error. Every failure of the connector is one of these. */
export type Failure =
  /**
   * Xiaomi answered with an error. `xiaomiCode` and `description` are as received: untrusted, they
   * are checked and cleaned here.
   */
  | { kind: 'xiaomi'; step: Step; xiaomiCode?: unknown; description?: unknown }
  /** Xiaomi answered, but not with anything this connector can use; `reason` is fixed text. */
  | { kind: 'unexpected'; step: Step; status?: number; reason: string }
  /** Xiaomi could not be reached, or did not answer in time. */
  | { kind: 'network'; step: Step; reason: string }
  /** Xiaomi is throttling this app. */
  | { kind: 'rate-limited'; step: Step; status: number }
  /** The callback data Logto posted is not a Xiaomi callback; `reason` is fixed text. */
  | { kind: 'bad-callback'; reason: string }
  /** The saved config does not validate; the messages are config.ts's, written for the admin. */
  | { kind: 'invalid-config'; description: string; issues: { path: string; message: string }[] }
  /** Token storage is on, but Xiaomi needs a redirect URI to refresh and none is configured. */
  | { kind: 'no-refresh-redirect-uri' }
  /** `getAccessTokenByRefreshToken` got no usable refresh token. */
  | { kind: 'unusable-refresh-token' }
  /** One of Logto's own callbacks did not settle within the operation's time. */
  | { kind: 'logto-timeout'; call: 'getConfig' | 'getSession' | 'setSession' }
  /** Anything else that went wrong inside the connector or its host; `cause` is what was thrown. */
  | { kind: 'internal'; operation: string; cause: unknown };

/**
 * A failure on its way to the connector's boundary (index.ts), which makes it the
 * ConnectorError: only there are all the secrets of the operation known (the client secret, the
 * code, the tokens, the mac_key), so only there can outside text be redacted of every one of them
 * before it is shortened.
 */
export class ConnectorFailure extends Error {
  constructor(readonly failure: Failure) {
    super(`connector failure: ${failure.kind}`);
  }
}

const stepNames: Record<Step, string> = {
  callback: 'the callback (Xiaomi’s redirect back to Logto)',
  token: 'the token exchange (oauth2/token)',
  refresh: 'the token refresh (oauth2/token)',
  profile: `the ${openApiPaths.profile.slice(1)} call`,
  openId: `the ${openApiPaths.openId.slice(1)} call`,
  phoneAndEmail: `the ${openApiPaths.phoneAndEmail.slice(1)} call`,
};

const sentenceCase = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** Longest quote of outside text kept for an admin; Xiaomi's own descriptions are one short line. */
const maxQuotedLength = 200;
const placeholder = '[redacted]';

/** The forms a value takes on the wire (as is, in a URL, in a form body), as Xiaomi may echo it. */
const wireForms = (value: string): string[] => [
  value,
  encodeURIComponent(value),
  new URLSearchParams({ v: value }).toString().slice(2),
];

const percentEscapes = /(?:%[0-9a-f]{2})+/gi;

/** Decodes percent-escapes in any letter case, leaving malformed UTF-8 as U+FFFD, never throwing. */
const percentDecode = (text: string): string =>
  text.replace(percentEscapes, (escapes) =>
    Buffer.from(escapes.replace(/%/g, ''), 'hex').toString('utf8'),
  );

/**
 * Replaces every sensitive value (secret, code, tokens, mac_key) in text that came from outside,
 * as is and in its URL- and form-encoded forms, in case Xiaomi echoes a request parameter. An echo
 * in another form (escapes in lower case, encoded twice) shows once the text is decoded: the text
 * is then kept decoded, and redacted. Redaction comes before any shortening, so a cut never
 * leaves a piece of a secret behind. Text holding none is returned unchanged.
 */
export const redact = (text: string, sensitive: readonly string[]): string => {
  const values = sensitive.filter((value) => value !== '');
  const replaceAll = (input: string) =>
    values.reduce(
      (result, value) =>
        wireForms(value).reduce((inner, form) => inner.split(form).join(placeholder), result),
      input,
    );
  const replaced = replaceAll(text);
  let view = replaced;
  let hidden = false;
  for (let round = 0; round < 3; round++) {
    const decoded = percentDecode(view);
    if (decoded === view) {
      break;
    }
    view = replaceAll(decoded);
    hidden ||= view !== decoded;
  }
  return hidden ? view : replaced;
};

/** Whether text from outside holds a sensitive value, in any of the forms `redact` finds. */
export const holdsSensitive = (text: string, sensitive: readonly string[]): boolean =>
  redact(text, sensitive) !== text;

// Invisible or direction-changing characters would let quoted text pose as something else.
const formatCharacters = /\p{Cf}/gu;
const controlCharacters = /[\p{Cc}\p{Zl}\p{Zp}]/gu;

/**
 * Outside text as an admin may read it: text only, on one line, without invisible characters,
 * redacted, and bounded. Empty for anything that is not text.
 */
const quote = (value: unknown, sensitive: readonly string[]): string => {
  if (typeof value !== 'string') {
    return '';
  }
  const visible = value.replace(formatCharacters, '').replace(controlCharacters, ' ');
  const line = redact(visible, sensitive).replace(/\s+/g, ' ').trim();
  const characters = Array.from(line);
  return characters.length > maxQuotedLength
    ? `${characters.slice(0, maxQuotedLength - 1).join('')}…`
    : line;
};

const codeWord = /^[A-Za-z0-9_.-]{1,40}$/;

/**
 * A Xiaomi code as an admin may read it: an integer, or a short code word such as
 * `access_denied`. Anything else, or anything holding a sensitive value, is dropped.
 */
const xiaomiCodeOf = (
  value: unknown,
  sensitive: readonly string[],
): number | string | undefined => {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !codeWord.test(text) || holdsSensitive(text, sensitive)) {
    return undefined;
  }
  return typeof value === 'number' ? value : text;
};

/** A network error code such as `ECONNREFUSED` or "timed out"; never a message with a URL in it. */
const networkReasonOf = (reason: string): string =>
  /^[A-Za-z0-9_ .-]{1,40}$/.test(reason) ? reason : 'failed';

/** A property of whatever was thrown, as text; a throwing getter or a non-string gives ''. */
const readText = (read: () => unknown): string => {
  try {
    const value = read();
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
};

const errorNameOf = (cause: unknown): string => {
  const name = cause instanceof Error ? readText(() => cause.name) : typeof cause;
  return codeWord.test(name) ? name : 'error';
};

const maxLoggedFrames = 10;

/**
 * Logto turns a ConnectorError into its own RequestError and keeps only `data`
 * (koa-connector-error-handler.ts), so an unexpected cause would be lost: it goes to the server's
 * log instead, redacted and bounded, with the stack frames that say where it happened.
 */
const logInternalFailure = (
  operation: string,
  cause: unknown,
  sensitive: readonly string[],
): void => {
  const message = cause instanceof Error ? readText(() => cause.message) : readText(() => cause);
  const frames =
    cause instanceof Error
      ? readText(() => cause.stack)
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .slice(0, maxLoggedFrames)
          .map((line) => quote(line, sensitive))
      : [];
  console.error(
    [
      `connector-xiaomi: ${operation} failed unexpectedly: ${errorNameOf(cause)}: ${quote(message, sensitive)}`,
      ...frames.map((frame) => `    ${frame}`),
    ].join('\n'),
  );
};

/** What Logto keeps as the error's `data`: the user's text first, then the admin's detail. */
type ErrorData = {
  errorDescription: string;
  step?: Step;
  xiaomiCode?: number | string;
  xiaomiError?: string;
  xiaomiDescription?: string;
  status?: number;
  hint?: string;
  issues?: { path: string; message: string }[];
};

/**
 * The one place a ConnectorError is made. `data` is plain JSON for Logto's audit log and the
 * sign-in page; a cause rides along non-enumerable, so it reaches a debugger but never
 * `JSON.stringify`.
 */
const connectorError = (code: ConnectorErrorCodes, data: ErrorData, cause?: unknown) => {
  const error = new ConnectorError(code, data);
  if (cause !== undefined) {
    Object.defineProperty(error, 'cause', { value: cause, enumerable: false, configurable: true });
  }
  return error;
};

const httpStatus = (status: number | undefined) =>
  status === undefined ? '' : ` (HTTP ${String(status)})`;

/**
 * Turns a failure into the Logto error the table says. `sensitive` lists the values of the call
 * that must never be echoed back: the client secret, the code, the tokens, the mac_key.
 */
export const toConnectorError = (
  failure: Failure,
  sensitive: readonly string[] = [],
): ConnectorError => {
  switch (failure.kind) {
    case 'xiaomi': {
      const xiaomiCode = xiaomiCodeOf(failure.xiaomiCode, sensitive);
      const name = typeof xiaomiCode === 'number' ? xiaomiErrorTable[xiaomiCode]?.name : undefined;
      const meaning = meaningOf(failure.step, xiaomiCode);
      // Anyone can craft a callback link: its error_description is not Xiaomi's word, so it is
      // never quoted. The token and Open API answers come from Xiaomi over TLS.
      const xiaomiDescription =
        failure.step === 'callback' ? undefined : quote(failure.description, sensitive);
      const said =
        xiaomiCode === undefined
          ? 'an error without a usable code'
          : `Xiaomi error ${String(xiaomiCode)}${name ? ` (${name})` : ''}`;
      return connectorError(meaning.code, {
        errorDescription: userMessageFor(failure.step, meaning.code),
        step: failure.step,
        ...(xiaomiCode !== undefined && { xiaomiCode }),
        ...(name && { xiaomiError: name }),
        ...(xiaomiDescription && { xiaomiDescription }),
        hint: `${sentenceCase(stepNames[failure.step])} failed with ${said}. ${meaning.hint}`,
      });
    }
    case 'unexpected':
      return connectorError(ConnectorErrorCodes.InvalidResponse, {
        errorDescription: userMessages.unreadable,
        step: failure.step,
        ...(failure.status !== undefined && { status: failure.status }),
        hint: `${sentenceCase(stepNames[failure.step])} returned an unexpected response${httpStatus(failure.status)}: ${failure.reason}.`,
      });
    case 'network':
      return connectorError(ConnectorErrorCodes.General, {
        errorDescription: userMessages.unreachable,
        step: failure.step,
        hint: `Xiaomi could not be reached for ${stepNames[failure.step]} (${networkReasonOf(failure.reason)}). Allow outbound HTTPS to account.xiaomi.com and open.account.xiaomi.com; check DNS and the proxy.`,
      });
    case 'rate-limited':
      return connectorError(ConnectorErrorCodes.RateLimitExceeded, {
        errorDescription: userMessages.busy,
        step: failure.step,
        status: failure.status,
        hint: `Xiaomi is rate-limiting ${stepNames[failure.step]}${httpStatus(failure.status)}. Wait and try again later.`,
      });
    case 'bad-callback':
      return connectorError(ConnectorErrorCodes.InvalidRequestParameters, {
        errorDescription: userMessages.restart,
        step: 'callback',
        hint: `The sign-in callback is not a valid Xiaomi callback: ${failure.reason}. Start the sign-in again.`,
      });
    case 'invalid-config':
      // Written for the admin, who also reads them when saving the config in the console.
      return connectorError(ConnectorErrorCodes.InvalidConfig, {
        errorDescription: failure.description,
        issues: failure.issues,
      });
    case 'no-refresh-redirect-uri':
      return connectorError(ConnectorErrorCodes.InvalidConfig, {
        errorDescription: userMessages.setup,
        step: 'refresh',
        hint: 'Redirect URI is not set: Xiaomi requires the callback URL to refresh tokens. Set "Redirect URI" in the connector config to the callback URL registered on Xiaomi’s open platform (${your_logto_origin}/callback/${connector_id}).',
      });
    case 'unusable-refresh-token':
      return connectorError(ConnectorErrorCodes.InvalidRequestParameters, {
        errorDescription: userMessages.signInAgain,
        step: 'refresh',
        hint: 'No usable refresh token to refresh with (it must be the text Xiaomi issued: not empty, no surrounding spaces, printable ASCII, at most 4096 characters), so nothing was sent to Xiaomi. The user signs in with Xiaomi again.',
      });
    case 'logto-timeout':
      return connectorError(ConnectorErrorCodes.General, {
        errorDescription: userMessages.failed,
        hint: `Logto did not answer the connector’s ${failure.call} in time (the 10 s every sign-in has); Xiaomi was not called. Check Logto’s database, where it keeps sessions and connector configs.`,
      });
    case 'internal':
      logInternalFailure(failure.operation, failure.cause, sensitive);
      return connectorError(
        ConnectorErrorCodes.General,
        {
          errorDescription: userMessages.failed,
          hint: `${failure.operation} failed unexpectedly (${errorNameOf(failure.cause)}). Its redacted message and stack are in Logto’s server log, on a line starting with "connector-xiaomi:". Retry; if it persists, report that log line.`,
        },
        failure.cause,
      );
  }
};
