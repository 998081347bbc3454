/**
 * The connector, read top to bottom: step 1 (`getAuthorizationUri`), then steps 2 to 5 of a
 * sign-in (callback, token exchange, Open API calls, Logto's user info), then token refresh.
 * Logto loads `lib/index.js` and takes its default export; tests, the demo and the benchmark point
 * `createXiaomiConnector` at a fake Xiaomi (`src/testing.ts`).
 */

import {
  ConnectorError,
  ConnectorType,
  type CreateConnector,
  type GetSession,
  type SocialConnector,
  type SocialUserInfo,
  type TokenResponse,
} from '@logto/connector-kit';

import { startAuthorization } from './authorization-uri.ts';
import { timeLimit } from './budget.ts';
import { readCallback } from './callback.ts';
import { configGuard, grantedScopes, readConfig } from './config.ts';
import { defaultTimeoutMs, xiaomiEndpoints, type XiaomiEndpoints } from './endpoints.ts';
import { ConnectorFailure, toConnectorError } from './errors.ts';
import { metadata } from './metadata.ts';
import { fetchXiaomiUser } from './open-api.ts';
import { requestToken } from './token.ts';
import { toSocialUserInfo } from './user-info.ts';
import { isTokenText, type XiaomiToken } from './xiaomi-response.ts';

export type XiaomiConnectorOptions = {
  /** Only tests, the demo and benchmarks change these; the package always talks to Xiaomi. */
  endpoints?: Partial<XiaomiEndpoints>;
  /**
   * Bound on one sign-in (or refresh, or authorization URL), Logto's callbacks and retries
   * included; an attempt at a Xiaomi call gets 40% of it, optional calls a 5% grace.
   */
  timeoutMs?: number;
};

/**
 * Whatever escapes the flow reaches Logto as a ConnectorError: anything else skips Logto's error
 * mapping and shows its raw message (which, for an HTTP client, includes the URL) to the end user.
 * Failures become ConnectorErrors here because only here is every secret of the operation known:
 * `run` adds each one (secret, code, tokens, mac_key) to `sensitive` as it learns it, and none of
 * them reaches an error or the log, whichever call Xiaomi echoed it in.
 */
const asConnectorErrors = async <T>(
  operation: string,
  run: (sensitive: string[]) => Promise<T>,
): Promise<T> => {
  const sensitive: string[] = [];
  try {
    return await run(sensitive);
  } catch (error: unknown) {
    if (error instanceof ConnectorError) {
      throw error;
    }
    throw toConnectorError(
      error instanceof ConnectorFailure
        ? error.failure
        : { kind: 'internal', operation, cause: error },
      sensitive,
    );
  }
};

const macKeyOf = (token: XiaomiToken): string => {
  if (!token.macKey) {
    throw new ConnectorFailure({
      kind: 'unexpected',
      step: 'token',
      reason:
        'no mac_key to sign Open API calls with (turn off "Sign Open API calls" or ask Xiaomi)',
    });
  }
  return token.macKey;
};

const toTokenResponse = (token: XiaomiToken): TokenResponse => ({
  access_token: token.accessToken,
  ...(token.refreshToken && { refresh_token: token.refreshToken }),
  ...(token.expiresIn !== undefined && { expires_in: token.expiresIn }),
  ...(token.scope && { scope: token.scope }),
  ...(token.tokenType && { token_type: token.tokenType }),
});

export const createXiaomiConnector = (
  options: XiaomiConnectorOptions = {},
): CreateConnector<SocialConnector> => {
  const endpoints = { ...xiaomiEndpoints, ...options.endpoints };
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;

  return async ({ getConfig }) => {
    /** Steps 2 to 5: callback, token exchange, Open API calls, Logto's user info. */
    const signIn = async (
      data: unknown,
      getSession: GetSession,
      sensitive: string[],
    ): Promise<{ token: XiaomiToken; userInfo: SocialUserInfo }> => {
      const budget = timeLimit(timeoutMs);
      try {
        const callback = await readCallback(data, getSession, sensitive, budget.signal);
        const config = await readConfig(getConfig, metadata.id, budget.signal);
        sensitive.push(config.clientSecret);
        const token = await requestToken(
          endpoints.token,
          config,
          callback.redirectUri,
          { grantType: 'authorization_code', code: callback.code },
          budget,
        );
        sensitive.push(token.accessToken, token.refreshToken ?? '', token.macKey ?? '');
        const granted = grantedScopes(token.scope, callback.requestedScopes ?? config.scopes);
        const user = await fetchXiaomiUser(
          {
            openApiOrigin: endpoints.openApi,
            clientId: config.clientId,
            accessToken: token.accessToken,
            ...(config.macSignature && { macKey: macKeyOf(token) }),
          },
          granted,
          budget,
        );
        return { token, userInfo: toSocialUserInfo(user, granted, sensitive) };
      } finally {
        budget.clear();
      }
    };

    /** Token storage: Xiaomi's refresh tokens work once, so the new one goes back to Logto. */
    const refresh = async (
      refreshTokenValue: unknown,
      sensitive: string[],
    ): Promise<TokenResponse> => {
      // Logto passes what it stored; anything but a token would be sent to Xiaomi with the secret.
      if (!isTokenText(refreshTokenValue)) {
        throw new ConnectorFailure({ kind: 'unusable-refresh-token' });
      }
      sensitive.push(refreshTokenValue);
      const budget = timeLimit(timeoutMs);
      try {
        const config = await readConfig(getConfig, metadata.id, budget.signal);
        sensitive.push(config.clientSecret);
        if (!config.redirectUri) {
          throw new ConnectorFailure({ kind: 'no-refresh-redirect-uri' });
        }
        // Xiaomi asks for the redirect URI again, and the session that held it is long gone.
        const token = await requestToken(
          endpoints.token,
          config,
          config.redirectUri,
          { grantType: 'refresh_token', refreshToken: refreshTokenValue },
          budget,
        );
        return toTokenResponse(token);
      } finally {
        budget.clear();
      }
    };

    return {
      metadata,
      type: ConnectorType.Social,
      configGuard,
      getAuthorizationUri: async (payload, setSession) =>
        asConnectorErrors('getAuthorizationUri', async () => {
          // Logto's own callbacks are bounded like a sign-in's: a getConfig that never settles
          // must not hold the sign-in page forever.
          const budget = timeLimit(timeoutMs);
          try {
            const config = await readConfig(getConfig, metadata.id, budget.signal);
            return await startAuthorization(
              endpoints.authorize,
              config,
              payload,
              setSession,
              budget.signal,
            );
          } finally {
            budget.clear();
          }
        }),
      getUserInfo: async (data, getSession) =>
        asConnectorErrors(
          'getUserInfo',
          async (sensitive) => (await signIn(data, getSession, sensitive)).userInfo,
        ),
      getTokenResponseAndUserInfo: async (data, getSession) =>
        asConnectorErrors('getTokenResponseAndUserInfo', async (sensitive) => {
          const { token, userInfo } = await signIn(data, getSession, sensitive);
          return { tokenResponse: toTokenResponse(token), userInfo };
        }),
      getAccessTokenByRefreshToken: async (refreshTokenValue) =>
        asConnectorErrors('getAccessTokenByRefreshToken', async (sensitive) =>
          refresh(refreshTokenValue, sensitive),
        ),
    };
  };
};

/** What Logto loads: the connector, talking to Xiaomi's real hosts. */
const createConnector = createXiaomiConnector();

export default createConnector;
