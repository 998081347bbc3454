/**
 * The connector, read top to bottom: step 1 (`getAuthorizationUri`), then steps 2 to 5 of a
 * sign-in (callback, token exchange, Open API calls, Logto's user info), then token refresh.
 * Here Logto meets the connector: its callbacks are bounded in time here, and whatever fails
 * leaves here as a ConnectorError. Logto loads `lib/index.js` and takes its default export; tests,
 * the demo and the benchmark point `createXiaomiConnector` at a fake Xiaomi (`src/testing.ts`).
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

import { readCallback, startAuthorization, type Session } from './authorization.ts';
import { configGuard, grantedScopes, parseConfig, type ConnectorConfig } from './config.ts';
import { defaultTimeoutMs, metadata, xiaomiEndpoints, type XiaomiEndpoints } from './constant.ts';
import { ConnectorFailure, toConnectorError } from './errors.ts';
import { fetchXiaomiUser, toSocialUserInfo } from './user-info.ts';
import {
  callXiaomi,
  decodeTokenResponse,
  isTokenText,
  timeLimit,
  type Budget,
  type XiaomiToken,
} from './xiaomi.ts';

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
 * One of Logto's own callbacks, which nothing else bounds: a `getConfig` or `getSession` that never
 * settles must not hold the sign-in page forever. Settles like it, or fails with `logto-timeout`
 * once `signal` aborts. A callback that throws synchronously (Logto's `notImplemented`) or returns
 * a plain value is taken as it is.
 */
const fromLogto = async <T>(
  call: 'getConfig' | 'getSession' | 'setSession',
  run: () => T | Promise<T>,
  signal: AbortSignal,
): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timedOut = () => {
      reject(new ConnectorFailure({ kind: 'logto-timeout', call }));
    };
    if (signal.aborted) {
      timedOut();
      return;
    }
    signal.addEventListener('abort', timedOut, { once: true });
    const settle = () => {
      signal.removeEventListener('abort', timedOut);
    };
    new Promise<T>((ran) => {
      ran(run());
    }).then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });

/**
 * One of Logto's calls into the connector, within one time limit (`budget`), Logto's callbacks and
 * retries included. Whatever escapes it reaches Logto as a ConnectorError: anything else skips
 * Logto's error mapping and shows its raw message (which, for an HTTP client, includes the URL) to
 * the end user. Failures become ConnectorErrors here because only here is every secret of the
 * operation known: `run` adds each one (secret, code, tokens, mac_key) to `sensitive` as it learns
 * it, and none of them reaches an error or the log, whichever call Xiaomi echoed it in.
 */
const logtoCall = async <T>(
  operation: string,
  timeoutMs: number,
  run: (budget: Budget, sensitive: string[]) => Promise<T>,
): Promise<T> => {
  const budget = timeLimit(timeoutMs);
  const sensitive: string[] = [];
  try {
    return await run(budget, sensitive);
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
  } finally {
    budget.clear();
  }
};

/** The code from the callback (step 3), or a stored refresh token (token storage). */
type Grant = { code: string } | { refreshToken: string };

/**
 * Step 3, and every refresh: a grant for Xiaomi's tokens. A POST with a form body, as Logto's own
 * Xiaomi connector does in production: Xiaomi's docs show GET, but a POST keeps the client secret
 * out of URLs and proxy logs.
 */
const requestToken = async (
  tokenEndpoint: string,
  config: ConnectorConfig,
  redirectUri: string,
  grant: Grant,
  budget: Budget,
): Promise<XiaomiToken> => {
  const refresh = 'refreshToken' in grant;
  const form = new URLSearchParams({
    client_id: config.clientId,
    client_secret: config.clientSecret,
    redirect_uri: redirectUri,
    ...(refresh
      ? { grant_type: 'refresh_token', refresh_token: grant.refreshToken }
      : { grant_type: 'authorization_code', code: grant.code }),
  });
  return callXiaomi(
    refresh ? 'refresh' : 'token',
    {
      method: 'POST',
      url: tokenEndpoint,
      form: form.toString(),
      // A refresh token works once: a failed refresh must tell whether Xiaomi read it, which a
      // reused connection cannot (http.ts).
      ownConnection: refresh,
    },
    decodeTokenResponse,
    budget,
  );
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
    const readConfig = async (signal: AbortSignal): Promise<ConnectorConfig> => {
      const parsed = parseConfig(
        await fromLogto('getConfig', async () => getConfig(metadata.id), signal),
      );
      if (!parsed.ok) {
        const { description, issues } = parsed;
        throw new ConnectorFailure({ kind: 'invalid-config', description, issues });
      }
      return parsed.config;
    };

    /** Step 1: where the browser goes, once what the callback needs is in Logto's session. */
    const authorizationUri: SocialConnector['getAuthorizationUri'] = async (payload, setSession) =>
      logtoCall('getAuthorizationUri', timeoutMs, async ({ signal }) => {
        const config = await readConfig(signal);
        return startAuthorization(endpoints.authorize, config, payload, async (session) =>
          fromLogto('setSession', async () => setSession(session), signal),
        );
      });

    /** Steps 2 to 5: callback, token exchange, Open API calls, Logto's user info. */
    const signIn = async (
      data: unknown,
      getSession: GetSession,
      budget: Budget,
      sensitive: string[],
    ): Promise<{ token: XiaomiToken; userInfo: SocialUserInfo }> => {
      const session: Session['get'] = async () =>
        fromLogto('getSession', getSession, budget.signal);
      const callback = await readCallback(data, session, sensitive);
      const config = await readConfig(budget.signal);
      sensitive.push(config.clientSecret);
      const token = await requestToken(
        endpoints.token,
        config,
        callback.redirectUri,
        { code: callback.code },
        budget,
      );
      sensitive.push(token.accessToken, token.refreshToken ?? '', token.macKey ?? '');
      const granted = grantedScopes(token.scope, callback.requestedScope ?? config.scope);
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
    };

    /** Token storage: Xiaomi's refresh tokens work once, so the new one goes back to Logto. */
    const refresh = async (
      refreshToken: unknown,
      budget: Budget,
      sensitive: string[],
    ): Promise<TokenResponse> => {
      // Logto passes what it stored; anything but a token would be sent to Xiaomi with the secret.
      if (!isTokenText(refreshToken)) {
        throw new ConnectorFailure({ kind: 'unusable-refresh-token' });
      }
      sensitive.push(refreshToken);
      const config = await readConfig(budget.signal);
      sensitive.push(config.clientSecret);
      if (!config.redirectUri) {
        throw new ConnectorFailure({ kind: 'no-refresh-redirect-uri' });
      }
      // Xiaomi asks for the redirect URI again, and the session that held it is long gone.
      const token = await requestToken(
        endpoints.token,
        config,
        config.redirectUri,
        { refreshToken },
        budget,
      );
      return toTokenResponse(token);
    };

    return {
      metadata,
      type: ConnectorType.Social,
      configGuard,
      getAuthorizationUri: authorizationUri,
      getUserInfo: async (data, getSession) =>
        logtoCall(
          'getUserInfo',
          timeoutMs,
          async (budget, sensitive) => (await signIn(data, getSession, budget, sensitive)).userInfo,
        ),
      getTokenResponseAndUserInfo: async (data, getSession) =>
        logtoCall('getTokenResponseAndUserInfo', timeoutMs, async (budget, sensitive) => {
          const { token, userInfo } = await signIn(data, getSession, budget, sensitive);
          return { tokenResponse: toTokenResponse(token), userInfo };
        }),
      getAccessTokenByRefreshToken: async (refreshToken) =>
        logtoCall('getAccessTokenByRefreshToken', timeoutMs, async (budget, sensitive) =>
          refresh(refreshToken, budget, sensitive),
        ),
    };
  };
};

/** What Logto loads: the connector, talking to Xiaomi's real hosts. */
const createConnector = createXiaomiConnector();

export default createConnector;
