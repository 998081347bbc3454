import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';

/** The step of the sign-in that failed; it tells an admin which Xiaomi call to look at. */
export type Step = 'callback' | 'token' | 'refresh' | 'profile' | 'openId' | 'phoneAndEmail';

type XiaomiErrorEntry = {
  /** Xiaomi's name for the code, as in its error-code page. */
  name: string;
  code: ConnectorErrorCodes;
  /** What a Logto admin (or the end user) should do about it. */
  hint: string;
};

/** Xiaomi's numeric OAuth / Open API codes, and what each means for a Logto admin. */
export const xiaomiErrorTable: Record<number, XiaomiErrorEntry> = {
  96001: {
    name: 'OA_CLIENT_NOT_EXISTS',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'Xiaomi does not know this Client ID, or the app’s account service is not enabled: check Client ID (AppID) and enable the account service on Xiaomi’s open platform.',
  },
  96002: {
    name: 'OA_INVALID_REQUEST',
    code: ConnectorErrorCodes.General,
    hint: 'Xiaomi found a parameter missing or malformed. Start the sign-in again; if it persists, report it with this message.',
  },
  96003: {
    name: 'OA_INVALID_CLIENT',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'Client ID and Client Secret do not match: copy the AppSecret of this AppID into Client Secret.',
  },
  96004: {
    name: 'OA_INVALID_GRANT',
    code: ConnectorErrorCodes.SocialAuthCodeInvalid,
    hint: 'Xiaomi rejected the grant: the authorization is no longer valid. Sign in again.',
  },
  96005: {
    name: 'OA_UNAUTHORIZED_CLIENT',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'The Xiaomi app lacks permission for this call: apply for it on Xiaomi’s open platform, or remove the scope.',
  },
  96006: {
    name: 'OA_UNSUPPORTED_GRANT_TYPE',
    code: ConnectorErrorCodes.General,
    hint: 'Xiaomi does not allow this grant type for the app.',
  },
  96007: {
    name: 'OA_INVALID_SCOPE',
    code: ConnectorErrorCodes.InvalidConfig,
    hint: 'A scope id is unknown or not granted to the app: check the Scope field against the scopes approved on Xiaomi’s open platform.',
  },
  96008: {
    name: 'OA_INVALID_TOKEN',
    code: ConnectorErrorCodes.SocialAccessTokenInvalid,
    hint: 'The Xiaomi access token is wrong or expired. Sign in again.',
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
    hint: 'Xiaomi does not allow this response type for the app.',
  },
  96012: {
    name: 'OA_ACCESS_DENIED',
    code: ConnectorErrorCodes.AuthorizationFailed,
    hint: 'The user cancelled or Xiaomi refused the authorization.',
  },
  96013: {
    name: 'OA_INVALID_CODE',
    code: ConnectorErrorCodes.SocialAuthCodeInvalid,
    hint: 'The authorization code is invalid, expired (codes live 5 minutes) or already used. Sign in again.',
  },
};

/** What went wrong, before it becomes a Logto error. Every failure of the flow is one of these. */
export type Failure =
  /** Xiaomi answered with one of its error codes. */
  | { kind: 'xiaomi'; step: Step; xiaomiCode: number | string; description?: string }
  /** Xiaomi answered, but not with anything this connector can use. */
  | { kind: 'unexpected'; step: Step; status?: number; reason: string }
  /** Xiaomi could not be reached, or did not answer in time. */
  | { kind: 'network'; step: Step; reason: string }
  /** Xiaomi is throttling this app. */
  | { kind: 'rate-limited'; step: Step; status: number }
  /** The callback data Logto posted is not a Xiaomi callback. */
  | { kind: 'bad-callback'; reason: string };

const stepNames: Record<Step, string> = {
  callback: 'Xiaomi’s authorization callback',
  token: 'the token exchange (oauth2/token)',
  refresh: 'the token refresh (oauth2/token)',
  profile: 'user/profile',
  openId: 'user/openIdV2',
  phoneAndEmail: 'user/phoneAndEmail',
};

const maxEchoedText = 200;

/**
 * Removes every sensitive value (secret, code, tokens) from text that came from outside, in case
 * Xiaomi echoes a request parameter in its error description.
 */
export const redact = (text: string, sensitive: readonly string[]): string => {
  let result = text;
  for (const value of sensitive) {
    if (value !== '') {
      result = result.split(value).join('[redacted]');
    }
  }
  return result.slice(0, maxEchoedText);
};

const callbackErrorCode = (entry: XiaomiErrorEntry | undefined, step: Step): ConnectorErrorCodes =>
  // Any error on the consent redirect means the user did not authorize, unless it names a config fix.
  step === 'callback' && entry?.code !== ConnectorErrorCodes.InvalidConfig
    ? ConnectorErrorCodes.AuthorizationFailed
    : (entry?.code ?? ConnectorErrorCodes.General);

/**
 * Turns a failure into the Logto error the table says, with `data.errorDescription` as the message
 * Logto shows. `sensitive` lists the values that must never be echoed back.
 */
export const toConnectorError = (
  failure: Failure,
  sensitive: readonly string[] = [],
): ConnectorError => {
  switch (failure.kind) {
    case 'xiaomi': {
      const numeric = Number(failure.xiaomiCode);
      const entry = xiaomiErrorTable[numeric];
      const said = failure.description
        ? ` Xiaomi said: “${redact(failure.description, sensitive)}”.`
        : '';
      return new ConnectorError(callbackErrorCode(entry, failure.step), {
        errorDescription: `${stepNames[failure.step]} failed with Xiaomi error ${String(failure.xiaomiCode)}${entry ? ` (${entry.name})` : ''}. ${entry?.hint ?? 'Unknown Xiaomi error code.'}${said}`,
        step: failure.step,
        xiaomiCode: Number.isFinite(numeric) ? numeric : String(failure.xiaomiCode),
      });
    }
    case 'unexpected':
      return new ConnectorError(ConnectorErrorCodes.InvalidResponse, {
        errorDescription: `${stepNames[failure.step]} returned an unexpected response${failure.status === undefined ? '' : ` (HTTP ${failure.status})`}: ${failure.reason}.`,
        step: failure.step,
        ...(failure.status === undefined ? {} : { status: failure.status }),
      });
    case 'network':
      return new ConnectorError(ConnectorErrorCodes.General, {
        errorDescription: `Xiaomi could not be reached for ${stepNames[failure.step]} (${failure.reason}). Try again in a moment.`,
        step: failure.step,
      });
    case 'rate-limited':
      return new ConnectorError(ConnectorErrorCodes.RateLimitExceeded, {
        errorDescription: `Xiaomi is rate-limiting ${stepNames[failure.step]} (HTTP ${failure.status}). Try again later.`,
        step: failure.step,
      });
    case 'bad-callback':
      return new ConnectorError(ConnectorErrorCodes.InvalidRequestParameters, {
        errorDescription: `The sign-in callback is not a valid Xiaomi callback: ${failure.reason}. Start the sign-in again.`,
        step: 'callback',
      });
  }
};
