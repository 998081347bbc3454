/**
 * Logto around a social connector, modelled on Logto's own code for each of its callers. The
 * tests, the demo and the benchmark drive the connector only through this, so nothing here may
 * be kinder to the connector than Logto is. Files read in the public repository logto-io/logto:
 *
 * - Sign-in page (the experience app and API):
 *   `packages/experience/src/pages/SocialSignInWebCallback/use-social-sign-in-listener.ts` takes
 *   `state` out of the callback query and checks it in the browser, then posts the rest with
 *   `redirectUri: ${origin}/callback/${connectorId}` placed first, so a query parameter of that
 *   name wins. `packages/core/src/routes/interaction/utils/social-verification.ts` (newer
 *   releases: `packages/core/src/libraries/verification-helpers/social-verification.ts`)
 *   (`assignConnectorSessionResult`, `getConnectorSessionResult`) keeps what `setSession` saved in
 *   the OIDC interaction's result, and `getSession` reads it and deletes it; with nothing saved it
 *   rejects with Logto's RequestError `session.connector_validation_session_not_found`.
 * - Account center (linking Xiaomi to a signed-in account):
 *   `packages/account/src/pages/SocialCallback/index.tsx` checks `state` in the browser too, then
 *   posts every query parameter, `state` included, and
 *   `redirectUri: ${origin}/account/callback/social/${connectorId}` placed last.
 *   `packages/core/src/routes/experience/classes/verifications/social-verification.ts`
 *   (`createSocialAuthorizationSession`, `verifySocialIdentity` with `'verificationRecord'`)
 *   keeps the session in the verification record (`{}` until one is saved), uses the record's
 *   id as `jti`, and resolves it on every `getSession`, without deleting it.
 * - Admin API and "my account" API: `packages/core/src/routes/admin-user/social.ts` and
 *   `packages/core/src/routes-me/social.ts` pass `notImplemented` from `@logto/cli` (a function
 *   that throws `ConnectorError(not_implemented)` synchronously) as `getSession`, and the
 *   "my account" route passes it as `setSession` too, with `jti: ''`.
 * - What Logto keeps: the sign-in page and account center store the user info in the verification
 *   record, whose guard (`socialVerificationRecordDataGuard` in `@logto/schemas`) parses it with
 *   connector-kit's `socialUserInfoGuard`; a user info that guard refuses fails the sign-in there.
 * - Errors: `packages/core/src/middleware/koa-connector-error-handler.ts` turns a ConnectorError
 *   into Logto's RequestError, keeping `data` (recent releases nest it as `{ data, name }`). For
 *   the codes it lists (`invalid_config`, `invalid_response`, `invalid_request_parameters`, the
 *   `social_*` codes, `authorization_failed`, `rate_limit_exceeded`, ...) the message is the
 *   code's fixed phrase in `packages/phrases/src/locales/en/errors/connector.ts`; for the others
 *   (`general`) it interpolates `data.errorDescription` into `connector.general`, "Error occurred
 *   in connector: {{errorDescription}}" (older releases put a line break before it).
 *   `RequestError.toBody` (`packages/core/src/errors/RequestError/index.ts`) sends
 *   `{ code, data, details, message }` to the browser. The experience routes' audit log
 *   (`koaAuditLog` in `packages/core/src/routes/experience/index.ts`) sits inside the app-level
 *   `koaConnectorErrorHandler` (`packages/core/src/tenants/Tenant.ts`), so it sees the
 *   ConnectorError itself and keeps `{ message: String(error) }`
 *   (`packages/core/src/middleware/koa-audit-log.ts`), where connector-kit's message is
 *   `ConnectorError: ` and `data` as JSON.
 */
import {
  socialUserInfoGuard,
  type ConnectorError,
  type ConnectorSession,
  type GetSession,
  type SetSession,
  type SocialConnector,
  type SocialUserInfo,
  type TokenResponse,
} from '@logto/connector-kit';
import { notImplemented } from '@logto/cli/lib/connector/consts.js';
import connectorPhrases from '@logto/phrases/lib/locales/en/errors/connector.js';

/** A connector as Logto holds it once `createConnector({ getConfig })` has run. */
export type Connector = Pick<
  SocialConnector,
  | 'metadata'
  | 'getAuthorizationUri'
  | 'getUserInfo'
  | 'getTokenResponseAndUserInfo'
  | 'getAccessTokenByRefreshToken'
>;

export const logtoCallers = ['sign-in page', 'account center', 'admin API'] as const;
export type LogtoCaller = (typeof logtoCallers)[number];

/** Logto core's own error type (not a ConnectorError), as its `assertThat(…, code)` throws it. */
export class LogtoRequestError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** What the browser's page refuses before the connector is ever called. */
export class LogtoPageError extends Error {
  constructor(readonly phrase: string) {
    super(phrase);
  }
}

export type SignInAttempt = {
  caller: LogtoCaller;
  authorizationUri: string;
  /** The redirect URI step 1 was called with, which the page posts back too. */
  redirectUri: string;
  /** What the browser kept to check the callback's `state` against. */
  state: string;
  /**
   * Where Logto keeps what `setSession` saved: the OIDC interaction's result for the sign-in page,
   * the verification record for the account center, nowhere for the admin API.
   */
  storage: { connectorSession?: ConnectorSession };
};

export type LogtoHostOptions = {
  origin?: string;
  connectorId?: string;
  /**
   * Parse the user info as Logto's verification record does (on by default). The benchmark turns
   * it off: the same parse added to both connectors' CPU per sign-in would blur their ratio.
   */
  parseUserInfo?: boolean;
  /**
   * The account center as Logto 1.43 may run it: step 1 with the sign-in page's callback URL and
   * a state prefixed `ac_`, which core's `GET /callback/:connectorId` sends on to the account
   * center's page (`packages/core/src/routes/callback.ts`, `accountCenterSocialStatePrefix` in
   * `@logto/schemas`). The page still posts its own URL as `redirectUri`.
   */
  sharedCallback?: boolean;
};

let attempts = 0;

export class LogtoHost {
  readonly origin: string;
  readonly connectorId: string;

  constructor(
    private readonly connector: Connector,
    private readonly options: LogtoHostOptions = {},
  ) {
    this.origin = options.origin ?? 'https://logto.example.com';
    this.connectorId = options.connectorId ?? 'xiaomi-e2e';
  }

  /** The URL of the account center's callback page, which it posts as `redirectUri`. */
  private get accountCenterPage(): string {
    return `${this.origin}/account/callback/social/${this.connectorId}`;
  }

  /** The callback URL each caller sends Xiaomi's redirect to (and that Xiaomi must know). */
  callbackUri(caller: LogtoCaller): string {
    switch (caller) {
      // The app calling the admin API chooses its redirect URI; the model's app takes the sign-in
      // page's.
      case 'sign-in page':
      case 'admin API':
        return `${this.origin}/callback/${this.connectorId}`;
      case 'account center':
        return this.options.sharedCallback
          ? this.callbackUri('sign-in page')
          : this.accountCenterPage;
    }
  }

  /**
   * Step 1. Only the account center and the "my account" API accept a custom `scope`; the sign-in
   * page's route omits it from its payload.
   */
  async start(
    caller: LogtoCaller,
    {
      scope,
      state = `${caller === 'account center' && this.options.sharedCallback ? 'ac_' : ''}state-${++attempts}`,
    }: { scope?: string; state?: string } = {},
  ): Promise<SignInAttempt> {
    const storage: SignInAttempt['storage'] = {};
    const redirectUri = this.callbackUri(caller);
    const save: SetSession = async (session) => {
      storage.connectorSession = session;
    };
    const authorizationUri = await this.connector.getAuthorizationUri(
      {
        state,
        redirectUri,
        connectorId: this.connectorId,
        connectorFactoryId: this.connector.metadata.id,
        jti: caller === 'admin API' ? '' : `jti-${state}`,
        headers: { userAgent: 'Mozilla/5.0 (logto-host model)' },
        ...(caller !== 'sign-in page' && scope !== undefined && { scope }),
      },
      caller === 'admin API' ? notImplemented : save,
    );
    if (caller === 'account center') {
      storage.connectorSession ??= {};
    }
    return { caller, authorizationUri, redirectUri, state, storage };
  }

  /** The `connectorData` each caller posts for a callback query, after its own state check. */
  connectorData(attempt: SignInAttempt, query: Record<string, string>): Record<string, string> {
    if (attempt.caller !== 'admin API' && query['state'] !== attempt.state) {
      throw new LogtoPageError('error.invalid_connector_auth');
    }
    switch (attempt.caller) {
      case 'sign-in page': {
        const rest = { ...query };
        delete rest['state'];
        return { redirectUri: attempt.redirectUri, ...rest };
      }
      case 'account center':
        return { ...query, redirectUri: this.accountCenterPage };
      case 'admin API':
        return { ...query, redirectUri: attempt.redirectUri };
    }
  }

  /** The `getSession` each caller hands the connector. */
  getSession(attempt: SignInAttempt): GetSession {
    switch (attempt.caller) {
      case 'sign-in page':
        return async () => {
          const session = attempt.storage.connectorSession;
          if (session === undefined) {
            throw new LogtoRequestError('session.connector_validation_session_not_found');
          }
          delete attempt.storage.connectorSession;
          return session;
        };
      case 'account center':
        return async () => attempt.storage.connectorSession ?? {};
      case 'admin API':
        return notImplemented;
    }
  }

  /** Step 2 as `getUserInfo`, from the query Xiaomi redirected the browser back with. */
  async finish(attempt: SignInAttempt, query: Record<string, string>): Promise<SocialUserInfo> {
    return this.kept(
      await this.connector.getUserInfo(
        this.connectorData(attempt, query),
        this.getSession(attempt),
      ),
    );
  }

  /** Step 2 with token storage on: Logto calls `getTokenResponseAndUserInfo` instead. */
  async finishKeepingTokens(
    attempt: SignInAttempt,
    query: Record<string, string>,
  ): Promise<{ tokenResponse?: TokenResponse; userInfo: SocialUserInfo }> {
    const result = await this.connector.getTokenResponseAndUserInfo!(
      this.connectorData(attempt, query),
      this.getSession(attempt),
    );
    this.kept(result.userInfo);
    return result;
  }

  private kept(userInfo: SocialUserInfo): SocialUserInfo {
    if (this.options.parseUserInfo ?? true) {
      socialUserInfoGuard.parse(userInfo);
    }
    return userInfo;
  }
}

/** The message Logto's sign-in page shows the end user for a connector error (English). */
export const messageShownToUser = (error: ConnectorError): string => {
  const phrases: Record<string, unknown> = connectorPhrases;
  const found = phrases[error.code];
  const phrase = typeof found === 'string' ? found : connectorPhrases.general;
  // Only `connector.general` has the placeholder; the other phrases are fixed.
  const { errorDescription } = (error.data ?? {}) as { errorDescription?: unknown };
  return phrase.replace(
    '{{errorDescription}}',
    typeof errorDescription === 'string' ? errorDescription : '',
  );
};

/** What Logto's audit log keeps of a connector error raised during a sign-in. */
export const auditLogError = (error: unknown): { message: string } => ({ message: String(error) });

/** The JSON body Logto sends the browser for a connector error. */
export const bodySentToBrowser = (error: ConnectorError): string =>
  JSON.stringify({
    code: `connector.${error.code}`,
    data: error.data,
    message: messageShownToUser(error),
  });

/** Everything Logto does with a connector error: the audit log, the browser, the user's screen. */
export const everywhere = (error: ConnectorError): string =>
  [
    JSON.stringify(error.data),
    error.message,
    auditLogError(error).message,
    bodySentToBrowser(error),
    messageShownToUser(error),
  ].join('\n');
