/**
 * Token storage and MAC signing through the built connector, against the fake Xiaomi over real
 * sockets: single-use refresh tokens, and an app whose Open API calls must be MAC-signed.
 */
import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { loadBuiltConnector } from './built-connector.ts';
import { startFakeXiaomi, type FakeXiaomi } from '../fake-xiaomi/index.ts';
import { LogtoHost, type Connector } from '../fake-logto/logto-host.ts';
import { passConsent } from '../fake-xiaomi/scripted-user.ts';

const redirectUri = 'https://logto.example.com/callback/xiaomi-storage';
let fake: FakeXiaomi;
let config: Record<string, unknown>;
let connector: Connector;
let logto: LogtoHost;

beforeAll(async () => {
  const { createXiaomiConnector } = await loadBuiltConnector();
  fake = await startFakeXiaomi({ apps: [{ redirectUris: [redirectUri] }] });
  connector = await createXiaomiConnector({ endpoints: fake.endpoints, timeoutMs: 3000 })({
    getConfig: async () => config,
  });
  logto = new LogtoHost(connector, { connectorId: 'xiaomi-storage' });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.setApp({ ...fake.app, redirectUris: [redirectUri], requireMac: false });
  config = {
    clientId: fake.app.clientId,
    clientSecret: fake.app.clientSecret,
    scope: '1 16000',
    redirectUri,
  };
});

/** A sign-in with token storage on: Logto calls getTokenResponseAndUserInfo instead of getUserInfo. */
const signInKeepingTokens = async () => {
  const attempt = await logto.start('sign-in page');
  const outcome = await passConsent(attempt.authorizationUri, { decision: 'allow' });
  if (outcome.kind !== 'redirected') {
    throw new Error(`Xiaomi stopped on error page ${String(outcome.xiaomiCode)}`);
  }
  return logto.finishKeepingTokens(attempt, outcome.query);
};

const rejection = async (promise: Promise<unknown>): Promise<ConnectorError> => {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
};

describe('token storage against the fake Xiaomi', () => {
  it('hands Logto the tokens and the granted scopes with the user info', async () => {
    const { tokenResponse, userInfo } = await signInKeepingTokens();
    expect(userInfo.id).toBe(fake.user.unionId);
    expect(tokenResponse).toMatchObject({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: expect.any(Number),
      token_type: 'mac',
    });
    expect(tokenResponse?.scope?.split(' ')).toContain('1');
  });

  it('refreshes, returns a new refresh token, and the old one no longer works', async () => {
    const { tokenResponse } = await signInKeepingTokens();
    const first = tokenResponse!.refresh_token!;

    const refreshed = await connector.getAccessTokenByRefreshToken!(first);
    expect(refreshed.access_token).not.toBe(tokenResponse!.access_token);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(first);

    const reused = await rejection(connector.getAccessTokenByRefreshToken!(first));
    expect(reused.code).toBe(ConnectorErrorCodes.SocialAccessTokenInvalid);
    expect(JSON.stringify(reused.data)).toContain('96009');
    expect(JSON.stringify(reused.data)).not.toContain(first);

    const again = await connector.getAccessTokenByRefreshToken!(refreshed.refresh_token!);
    expect(again.access_token).toEqual(expect.any(String));
  });

  it('refuses to refresh without a Redirect URI in the config, naming the field', async () => {
    const { tokenResponse } = await signInKeepingTokens();
    delete config.redirectUri;
    const error = await rejection(
      connector.getAccessTokenByRefreshToken!(tokenResponse!.refresh_token!),
    );
    expect(error.code).toBe(ConnectorErrorCodes.InvalidConfig);
    expect(JSON.stringify(error.data)).toContain('Redirect URI');
  });
});

describe('a refresh that breaks is tried again only if Xiaomi cannot have read it', () => {
  const refreshCalls = () =>
    fake.requestLog.filter((entry) => entry.params['grant_type'] === 'refresh_token');

  it('is not tried again when the connection was reset after Xiaomi read it: the spent token is never presented twice', async () => {
    const { tokenResponse } = await signInKeepingTokens();
    fake.clearLog();
    fake.scriptFaults('/oauth2/token', ['reset'], 'after');
    const error = await rejection(
      connector.getAccessTokenByRefreshToken!(tokenResponse!.refresh_token!),
    );
    expect(error.code).toBe(ConnectorErrorCodes.General);
    expect(refreshCalls()).toHaveLength(1);
  });

  it('is not tried again after a gateway’s 5xx either: Xiaomi may have read it', async () => {
    const { tokenResponse } = await signInKeepingTokens();
    fake.clearLog();
    fake.scriptFaults('/oauth2/token', ['html5xx']);
    const error = await rejection(
      connector.getAccessTokenByRefreshToken!(tokenResponse!.refresh_token!),
    );
    expect(error.code).toBe(ConnectorErrorCodes.InvalidResponse);
    expect(refreshCalls()).toHaveLength(1);
    // It had not: the refresh token still works.
    const refreshed = await connector.getAccessTokenByRefreshToken!(tokenResponse!.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
  });

  it('goes on a new connection of its own, never a reused one', async () => {
    const { tokenResponse } = await signInKeepingTokens();
    const lastPort = fake.requestLog.at(-1)!.remotePort;
    fake.clearLog();
    await connector.getAccessTokenByRefreshToken!(tokenResponse!.refresh_token!);
    expect(refreshCalls().map((entry) => entry.remotePort)).not.toContain(lastPort);
  });
});

describe('MAC-signed Open API calls against the fake Xiaomi', () => {
  it('signs in to an app that requires MAC signatures when the switch is on', async () => {
    fake.setApp({ ...fake.app, requireMac: true });
    config.macSignature = true;
    config.scope = '1 3 4 6';
    const { userInfo } = await signInKeepingTokens();
    expect(userInfo).toMatchObject({ id: fake.user.unionId, email: fake.user.email });
    expect(userInfo.rawData).toHaveProperty('openId');
  });

  it('is refused by such an app when the switch is off', async () => {
    fake.setApp({ ...fake.app, requireMac: true });
    const error = await rejection(signInKeepingTokens());
    expect(JSON.stringify(error.data)).toContain('96012');
  });
});
