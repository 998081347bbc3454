import {
  ConnectorError,
  ConnectorErrorCodes,
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
import { toConnectorError } from './errors.ts';
import { Deadline } from './http.ts';
import { metadata } from './metadata.ts';
import { fetchXiaomiUser } from './open-api.ts';
import { grantedScopes, requestedScopes } from './scopes.ts';
import { exchangeCode, refreshToken } from './token.ts';
import { toSocialUserInfo } from './user-info.ts';
import type { XiaomiToken } from './xiaomi-response.ts';

export type XiaomiConnectorOptions = {
  /** Only tests, the demo and benchmarks change these; the package always talks to Xiaomi. */
  endpoints?: Partial<XiaomiEndpoints>;
  /** Bound on one sign-in (or refresh), retries included. */
  timeoutMs?: number;
};

/**
 * Whatever escapes the flow reaches Logto as a ConnectorError: anything else skips Logto's error
 * mapping and shows its raw message (which, for an HTTP client, includes the URL) to the end user.
 */
const asConnectorErrors = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error: unknown) {
    if (error instanceof ConnectorError) {
      throw error;
    }
    throw new ConnectorError(ConnectorErrorCodes.General, {
      errorDescription: 'The Xiaomi connector failed unexpectedly. Try again.',
    });
  }
};

const macKeyOf = (token: XiaomiToken): string => {
  if (!token.macKey) {
    throw toConnectorError({
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
    ): Promise<{ token: XiaomiToken; userInfo: SocialUserInfo }> => {
      const deadline = new Deadline(timeoutMs);
      const callback = await readCallback(data, getSession);
      const config = await readConfig(getConfig, metadata.id);
      const token = await exchangeCode(endpoints.token, config, callback, deadline);
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
          deadline,
        },
        granted,
      );
      return { token, userInfo: toSocialUserInfo(user, granted) };
    };

    /** Token storage: Xiaomi's refresh tokens work once, so the new one goes back to Logto. */
    const refresh = async (refreshTokenValue: string): Promise<TokenResponse> => {
      const config = await readConfig(getConfig, metadata.id);
      if (!config.redirectUri) {
        throw new ConnectorError(ConnectorErrorCodes.InvalidConfig, {
          errorDescription:
            'Redirect URI is not set: Xiaomi requires the callback URL to refresh tokens. Set "Redirect URI" in the connector config to the callback URL registered on Xiaomi’s open platform (${your_logto_origin}/callback/${connector_id}).',
        });
      }
      if (refreshTokenValue === '') {
        throw new ConnectorError(ConnectorErrorCodes.InvalidRequestParameters, {
          errorDescription:
            'No refresh token to refresh with: the user must sign in with Xiaomi again.',
        });
      }
      const token = await refreshToken(
        endpoints.token,
        config,
        { refreshToken: refreshTokenValue, redirectUri: config.redirectUri },
        new Deadline(timeoutMs),
      );
      return toTokenResponse(token);
    };

    return {
      metadata,
      type: ConnectorType.Social,
      configGuard,
      getAuthorizationUri: async (payload, setSession) =>
        asConnectorErrors(async () =>
          getAuthorizationUri(getConfig, metadata.id, endpoints.authorize)(payload, setSession),
        ),
      getUserInfo: async (data, getSession) =>
        asConnectorErrors(async () => (await signIn(data, getSession)).userInfo),
      getTokenResponseAndUserInfo: async (data, getSession) =>
        asConnectorErrors(async () => {
          const { token, userInfo } = await signIn(data, getSession);
          return { tokenResponse: toTokenResponse(token), userInfo };
        }),
      getAccessTokenByRefreshToken: async (refreshTokenValue) =>
        asConnectorErrors(async () => refresh(refreshTokenValue)),
    };
  };
};
