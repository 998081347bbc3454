/**
 * Every failure of the connector, and the Logto error each becomes: the text the end user reads,
 * and the detail an admin reads in Logto's audit log. What a Xiaomi code means is
 * xiaomi-answers.ts's table; here it is worded.
 */
import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';

import { openApiCalls, type Step } from './constant.ts';
import { meaningOf, xiaomiErrorTable, type CallFailure } from './xiaomi-answers.ts';

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
  /** A call to Xiaomi failed (xiaomi-answers.ts), at this step. */
  | (CallFailure & { step: Step })
  /** The callback data Logto posted is not a Xiaomi callback; `reason` is fixed text. */
  | { kind: 'bad-callback'; reason: string }
  /** The saved config does not validate; the messages are config.ts's, written for the admin. */
  | { kind: 'invalid-config'; description: string; issues: { path: string; message: string }[] }
  /** Token storage is on, but Xiaomi needs a redirect URI to refresh and none is configured. */
  | { kind: 'no-refresh-redirect-uri' }
  /** `getAccessTokenByRefreshToken` got no usable refresh token. */
  | { kind: 'unusable-refresh-token' }
  /** One of Logto's own callbacks did not settle within the operation's time. */
  | {
      kind: 'logto-timeout';
      call: 'getConfig' | 'getSession' | 'setSession';
      timeoutMs: number;
    }
  /** Anything else that went wrong inside the connector or its host; `cause` is what was thrown. */
  | { kind: 'internal'; operation: string; cause: unknown };

/**
 * A failure on its way to the operation's boundary (operation.ts), which makes it the
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
  ...(Object.fromEntries(
    openApiCalls.map(({ step, path }) => [step, `the ${path.slice(1)} call`]),
  ) as Record<(typeof openApiCalls)[number]['step'], string>),
};

const sentenceCase = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** Longest quote of outside text kept for an admin; Xiaomi's own descriptions are one short line. */
const maxQuotedLength = 200;
/** What redacts outside text of an operation's secrets (operation.ts). */
type Redactor = { redact: (text: string) => string; holds: (text: string) => boolean };

// Invisible or direction-changing characters would let quoted text pose as something else.
const formatCharacters = /\p{Cf}/gu;
const controlCharacters = /[\p{Cc}\p{Zl}\p{Zp}]/gu;

/**
 * Outside text as an admin may read it: text only, on one line, without invisible characters,
 * redacted, and bounded. Empty for anything that is not text.
 */
const quote = (value: unknown, secrets: Redactor): string => {
  if (typeof value !== 'string') {
    return '';
  }
  const visible = value.replace(formatCharacters, '').replace(controlCharacters, ' ');
  const line = secrets.redact(visible).replace(/\s+/g, ' ').trim();
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
const xiaomiCodeOf = (value: unknown, secrets: Redactor): number | string | undefined => {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !codeWord.test(text) || secrets.holds(text)) {
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
const logInternalFailure = (operation: string, cause: unknown, secrets: Redactor): void => {
  const message = cause instanceof Error ? readText(() => cause.message) : readText(() => cause);
  const frames =
    cause instanceof Error
      ? readText(() => cause.stack)
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .slice(0, maxLoggedFrames)
          .map((line) => quote(line, secrets))
      : [];
  console.error(
    [
      `connector-xiaomi: ${operation} failed unexpectedly: ${errorNameOf(cause)}: ${quote(message, secrets)}`,
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

const noSecrets: Redactor = { redact: (text) => text, holds: () => false };

/**
 * Turns a failure into the Logto error the table says. `secrets` are the operation's values that
 * must never be echoed back: the client secret, the code, the tokens, the mac_key.
 */
export const toConnectorError = (
  failure: Failure,
  secrets: Redactor = noSecrets,
): ConnectorError => {
  switch (failure.kind) {
    case 'xiaomi': {
      const xiaomiCode = xiaomiCodeOf(failure.xiaomiCode, secrets);
      const name = typeof xiaomiCode === 'number' ? xiaomiErrorTable[xiaomiCode]?.name : undefined;
      const meaning = meaningOf(failure.step, xiaomiCode);
      // Anyone can craft a callback link: its error_description is not Xiaomi's word, so it is
      // never quoted. The token and Open API answers come from Xiaomi over TLS.
      const xiaomiDescription =
        failure.step === 'callback' ? undefined : quote(failure.description, secrets);
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
        hint: `Logto did not answer the connector’s ${failure.call} in time (the ${String(failure.timeoutMs / 1000)} s every sign-in has); Xiaomi was not called. Check Logto’s database, where it keeps sessions and connector configs.`,
      });
    case 'internal':
      logInternalFailure(failure.operation, failure.cause, secrets);
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
