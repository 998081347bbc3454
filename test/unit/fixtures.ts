import {
  type ConnectorSession,
  type GetSession,
  type SetSession,
  type SocialConnector,
} from '@logto/connector-kit';
import { notImplemented } from '@logto/cli/lib/connector/consts.js';
import { expect } from 'vitest';

import { ConnectorError } from '@logto/connector-kit';

import { createXiaomiConnector, type XiaomiConnectorOptions } from '../../src/index.ts';
import { everywhere } from '../../fakes/logto-host/logto-host.ts';
import { MemoryXiaomi } from './memory-xiaomi.ts';

export const clientId = '2882303761520000001';
export const clientSecret = 'sEcReT-value-0123456789';
export const redirectUri = 'https://auth.example.com/callback/abc123';
export const accessToken = 'ACCESS-TOKEN-0123456789';
export const refreshTokenValue = 'REFRESH-TOKEN-0123456789';
export const authorizationCode = 'AUTH-CODE-0123456789';

export const baseConfig = { clientId, clientSecret, scope: '1', skipConfirm: false };

/** The connector on `xiaomi`, in memory; `options` may add a time bound. */
export const makeConnector = async (
  xiaomi: MemoryXiaomi,
  config: unknown = baseConfig,
  options: XiaomiConnectorOptions = {},
): Promise<SocialConnector> =>
  createXiaomiConnector({ send: xiaomi.send, ...options })({ getConfig: async () => config });

/** Xiaomi answering a sign-in at scope 1: the token, then the profile. */
export const answeringSignIn = (token: Record<string, unknown> = {}) =>
  new MemoryXiaomi()
    .answer('POST /oauth2/token', { body: tokenBody(token) })
    .answer('GET /user/profile', { body: envelope(profileData) });

type SignIn = XiaomiConnectorOptions & {
  config?: unknown;
  data?: unknown;
  getSession?: GetSession;
};

/** A sign-in against `xiaomi`: what Logto's sign-in page posts after step 1, unless told otherwise. */
export const signIn = async (
  xiaomi: MemoryXiaomi,
  { config = baseConfig, data = callback, getSession = signInSession, ...options }: SignIn = {},
) => (await makeConnector(xiaomi, config, options)).getUserInfo(data, getSession);

export const sessionOf =
  (session: ConnectorSession): GetSession =>
  async () =>
    session;

/**
 * Logto's admin and "my account" APIs pass `notImplemented` from `@logto/cli`, which throws
 * `ConnectorError(not_implemented)` synchronously (packages/core/src/routes/admin-user/social.ts,
 * packages/core/src/routes-me/social.ts in logto-io/logto).
 */
export const throwingGetSession: GetSession & SetSession = notImplemented;

/**
 * What Logto's sign-in page passes when step 1 saved nothing in this interaction: its core rejects
 * with its own RequestError, not a ConnectorError
 * (packages/core/src/routes/interaction/utils/social-verification.ts, getConnectorSessionResult;
 * packages/core/src/libraries/verification-helpers/social-verification.ts in newer releases).
 */
export const noSessionSaved: GetSession = async () => {
  throw Object.assign(new Error('session.connector_validation_session_not_found'), {
    code: 'session.connector_validation_session_not_found',
    status: 400,
  });
};

export const tokenBody = (fields: Record<string, unknown> = {}) =>
  `&&&START&&&${JSON.stringify({
    access_token: accessToken,
    expires_in: 7_776_000,
    refresh_token: refreshTokenValue,
    scope: '1',
    token_type: 'mac',
    mac_key: 'MAC-KEY-0123456789',
    mac_algorithm: 'HmacSha1',
    openId: 'open-id-1',
    ...fields,
  })}`;

export const profileData = {
  unionId: 'union-1',
  miliaoNick: 'Lei',
  miliaoIcon: 'https://cdn.example.com/icon.jpg',
};

export const envelope = (data: Record<string, unknown>) => ({
  result: 'ok',
  description: 'success',
  data,
  code: 0,
});

/** A value as it is, and in the forms it takes in a URL and in a form body. */
const wireForms = (value: string): string[] => [
  value,
  encodeURIComponent(value),
  new URLSearchParams({ v: value }).toString().slice(2),
];

const secrets = [
  clientSecret,
  accessToken,
  refreshTokenValue,
  authorizationCode,
  'MAC-KEY-0123456789',
];

/**
 * Asserts a rejection is a ConnectorError with the code and a user text in `errorDescription`,
 * with bounded data, and shows none of the values above, in any wire form, anywhere Logto puts
 * it: its audit log, the body sent to the browser, the user's screen (fakes/logto-host/logto-host.ts).
 */
export const expectConnectorError = async (promise: Promise<unknown>, code: string) => {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  if (!(error instanceof ConnectorError)) {
    throw new Error('not a ConnectorError');
  }
  const shown = everywhere(error);
  for (const form of secrets.flatMap(wireForms)) {
    expect(shown).not.toContain(form);
  }
  // Logto copies `data` into its message, its audit log and the browser.
  expect(JSON.stringify(error.data).length).toBeLessThan(2048);
  expect(error.code).toBe(code);
  const data = error.data as { errorDescription: string; [key: string]: unknown };
  expect(typeof data.errorDescription).toBe('string');
  return data;
};

/** What Logto passes to getAuthorizationUri. */
export const authorizationRequest = {
  state: 'state-1',
  redirectUri,
  connectorId: 'abc123',
  connectorFactoryId: 'xiaomi-universal-plus',
  jti: 'jti-1',
  headers: {},
};

/** What Logto's sign-in page posts: it checks `state` itself and leaves it out. */
export const callback = { redirectUri, code: authorizationCode };
/** What Logto's account center posts: every query parameter, `state` included. */
export const accountCenterCallback = { code: authorizationCode, state: 'state-1', redirectUri };
export const signInSession = sessionOf({ redirectUri, state: 'state-1', scope: '1' });
