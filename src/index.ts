/**
 * Where Logto meets the connector, read top to bottom: step 1 (`getAuthorizationUri`), then steps
 * 2 to 5 of a sign-in (callback, token exchange, Open API calls, Logto's user info), then token
 * refresh. Each of Logto's calls is one operation (operation.ts): bounded in time, and leaving
 * only as a ConnectorError. Logto loads `lib/index.js` and takes its default export, which talks
 * to Xiaomi's real hosts.
 */
import {
  ConnectorType,
  type CreateConnector,
  type GetConnectorConfig,
  type GetSession,
  type SocialConnector,
  type SocialUserInfo,
  type TokenResponse,
} from '@logto/connector-kit';

import { readCallback, saveSession } from './authorization.ts';
import {
  configGuard,
  grantedScopes,
  parseConfig,
  requestedScopes,
  type ConnectorConfig,
} from './config.ts';
import { defaultTimeoutMs, metadata } from './constant.ts';
import { ConnectorFailure } from './errors.ts';
import { runOperation, type Operation } from './operation.ts';
import { toSocialUserInfo } from './user-info.ts';
import { createXiaomiClient, type XiaomiClientOptions } from './xiaomi.ts';
import { isTokenText, type XiaomiToken } from './xiaomi-answers.ts';

export type XiaomiConnectorOptions = XiaomiClientOptions & {
  /**
   * Bound on each of Logto's calls (a sign-in, a refresh, an authorization URL), Logto's own
   * callbacks and retries included; operation.ts shares it out.
   */
  timeoutMs?: number;
};

const readConfig = async (
  getConfig: GetConnectorConfig,
  { fromLogto, secrets }: Operation,
): Promise<ConnectorConfig> => {
  const parsed = parseConfig(await fromLogto('getConfig', () => getConfig(metadata.id)));
  if (!parsed.ok) {
    const { description, issues } = parsed;
    throw new ConnectorFailure({ kind: 'invalid-config', description, issues });
  }
  secrets.add(parsed.config.clientSecret);
  return parsed.config;
};

const toTokenResponse = (token: XiaomiToken): TokenResponse => ({
  access_token: token.accessToken,
  ...(token.refreshToken && { refresh_token: token.refreshToken }),
  ...(token.expiresIn !== undefined && { expires_in: token.expiresIn }),
  ...(token.scope && { scope: token.scope }),
  ...(token.tokenType && { token_type: token.tokenType }),
});

/** The connector, pointed at Xiaomi's real hosts unless `options` say otherwise. */
export const createXiaomiConnector = (
  options: XiaomiConnectorOptions = {},
): CreateConnector<SocialConnector> => {
  const xiaomi = createXiaomiClient(options);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;

  return async ({ getConfig }) => {
    /** Steps 2 to 5: callback, token exchange, Open API calls, Logto's user info. */
    const signIn = async (
      data: unknown,
      getSession: GetSession,
      operation: Operation,
    ): Promise<{ token: XiaomiToken; userInfo: SocialUserInfo }> => {
      const callback = await readCallback(
        data,
        () => operation.fromLogto('getSession', getSession),
        operation.secrets,
      );
      const config = await readConfig(getConfig, operation);
      const token = await xiaomi.exchangeCode(config, callback, operation);
      const granted = grantedScopes(token.scope, callback.requestedScope ?? config.scope);
      const user = await xiaomi.fetchUser(
        config.clientId,
        token,
        granted,
        { macSignature: config.macSignature ?? false },
        operation,
      );
      return { token, userInfo: toSocialUserInfo(user, granted, operation.secrets) };
    };

    return {
      metadata,
      type: ConnectorType.Social,
      configGuard,

      /** Step 1: where the browser goes, once what the callback needs is in Logto's session. */
      getAuthorizationUri: async ({ state, redirectUri, scope }, setSession) =>
        runOperation('getAuthorizationUri', timeoutMs, async (operation) => {
          const config = await readConfig(getConfig, operation);
          // A scope passed by the caller overrides the configured one; scope 1 is kept either way.
          const scopes = requestedScopes(scope === undefined ? config.scope : scope);
          await saveSession(
            (session) => operation.fromLogto('setSession', () => setSession(session)),
            { redirectUri, state, scope: scopes.join(' ') },
          );
          return xiaomi.authorizationUrl({
            clientId: config.clientId,
            redirectUri,
            scopes,
            state,
            skipConfirm: config.skipConfirm ?? false,
          });
        }),

      getUserInfo: async (data, getSession) =>
        runOperation(
          'getUserInfo',
          timeoutMs,
          async (operation) => (await signIn(data, getSession, operation)).userInfo,
        ),

      /** Token storage on: the same sign-in, and the tokens for Logto to keep. */
      getTokenResponseAndUserInfo: async (data, getSession) =>
        runOperation('getTokenResponseAndUserInfo', timeoutMs, async (operation) => {
          const { token, userInfo } = await signIn(data, getSession, operation);
          return { tokenResponse: toTokenResponse(token), userInfo };
        }),

      /** Xiaomi's refresh tokens work once, so the new one goes back to Logto. */
      getAccessTokenByRefreshToken: async (refreshToken) =>
        runOperation('getAccessTokenByRefreshToken', timeoutMs, async (operation) => {
          // Logto passes what it stored; anything but a token would go to Xiaomi with the secret.
          if (!isTokenText(refreshToken)) {
            throw new ConnectorFailure({ kind: 'unusable-refresh-token' });
          }
          operation.secrets.add(refreshToken);
          const config = await readConfig(getConfig, operation);
          // Xiaomi asks for the redirect URI again, and the session that held it is long gone.
          if (!config.redirectUri) {
            throw new ConnectorFailure({ kind: 'no-refresh-redirect-uri' });
          }
          const { redirectUri } = config;
          return toTokenResponse(
            await xiaomi.refresh(config, { refreshToken, redirectUri }, operation),
          );
        }),
    };
  };
};

/** What Logto loads: the connector, talking to Xiaomi's real hosts. */
const createConnector = createXiaomiConnector();

export default createConnector;
