import {
  ConnectorError,
  ConnectorType,
  type CreateConnector,
  type GetSession,
  type SocialConnector,
  type SocialUserInfo,
  type TokenResponse,
} from '@logto/connector-kit';

import { getAuthorizationUri } from './authorization-uri.ts';
import { readCallback } from './callback.ts';
import { configGuard, readConfig } from './config.ts';
import { defaultTimeoutMs, xiaomiEndpoints, type XiaomiEndpoints } from './endpoints.ts';
import { ConnectorFailure, toConnectorError } from './errors.ts';
import { metadata } from './metadata.ts';
import { fetchXiaomiUser } from './open-api.ts';
import { grantedScopes, requestedScopes } from './scopes.ts';
import { timeLimit } from './time-limit.ts';
import { exchangeCode, refreshToken } from './token.ts';
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
        const token = await exchangeCode(endpoints.token, config, callback, budget);
        sensitive.push(token.accessToken, token.refreshToken ?? '', token.macKey ?? '');
        const granted = grantedScopes(
          token.scope,
          callback.requestedScope === undefined
            ? config.scopes
            : requestedScopes(callback.requestedScope),
        );
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
        const token = await refreshToken(
          endpoints.token,
          config,
          { refreshToken: refreshTokenValue, redirectUri: config.redirectUri },
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
        asConnectorErrors('getAuthorizationUri', async () =>
          getAuthorizationUri(
            getConfig,
            metadata.id,
            endpoints.authorize,
            timeoutMs,
          )(payload, setSession),
        ),
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
