/**
 * Full sign-ins of the connector as it ships (the built `lib/index.js`) against the fake Xiaomi,
 * over real loopback sockets: Logto's calls as each of Logto's callers makes them (the host model
 * in fakes/logto-host/logto-host.ts, which cites Logto's code), the user's consent page, Xiaomi's
 * codes, scopes and tokens, MAC signing, and the retry rule where a socket decides it. Unless a
 * test names another caller, it is Logto's sign-in page. What time and connections do is in
 * real-networks.test.ts; every decoder and error path, in memory, in test/unit/.
 */
import { ConnectorErrorCodes } from '@logto/connector-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { FakeXiaomi } from '../../fakes/xiaomi/index.ts';
import type { ConsentChoice } from '../../fakes/user/scripted-user.ts';
import { ManualClock } from '../../fakes/xiaomi/index.ts';
import { LogtoHost, logtoCallers, type Connector } from '../../fakes/logto-host/logto-host.ts';
import { consentTo, failureOf, signIn, startSignIns } from './sign-in.ts';

const redirectUri = 'https://logto.example.com/callback/xiaomi-e2e';
const accountCenterUri = 'https://logto.example.com/account/callback/social/xiaomi-e2e';
const clock = new ManualClock(Date.now());
let fake: FakeXiaomi;
let config: Record<string, unknown>;
let connector: Connector;
let logto: LogtoHost;

beforeAll(async () => {
  ({ fake, connector, logto } = await startSignIns({
    connectorId: 'xiaomi-e2e',
    now: clock.now,
    getConfig: async () => config,
  }));
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  // Xiaomi's clock in step with the connector's, which MAC nonces depend on.
  clock.set(Date.now());
  fake.setFaults({});
  fake.setApp({
    // Both callback URLs, as the admin guide says to register them for the account center.
    redirectUris: [redirectUri, accountCenterUri],
    permittedScopes: [1, 3, 4, 6],
    requireMac: false,
  });
  fake.clearLog();
  config = { clientId: fake.app.clientId, clientSecret: fake.app.clientSecret, scope: '1' };
});

const callsTo = (path: string) => fake.requestLog.filter((entry) => entry.path === path);
const tokenRedirectUris = () =>
  callsTo('/oauth2/token').map((entry) => entry.params['redirect_uri']);

describe('each of Logto’s callers, posting what Logto’s code posts', () => {
  /** The keys of the callback data each caller posts (fakes/logto-host/logto-host.ts cites Logto's code). */
  const postedKeys = {
    'sign-in page': ['code', 'redirectUri'],
    'account center': ['code', 'redirectUri', 'state'],
    'admin API': ['code', 'redirectUri', 'state'],
  };

  // Callbacks without a saved sign-in, with a forged state, or a not_implemented getSession, and a
  // scope passed at step 1: test/unit/callback.test.ts and authorization-uri.test.ts.
  it.each(logtoCallers)(
    'Logto’s %s signs the user in from what it posts, the code exchanged for its own callback URL',
    async (caller) => {
      const { attempt, query } = await consentTo(logto, { caller });
      const posted = logto.connectorData(attempt, query);
      expect(Object.keys(posted).sort()).toEqual(postedKeys[caller]);
      fake.clearLog();
      expect((await connector.getUserInfo(posted, logto.getSession(attempt))).id).toBe(
        fake.user.unionId,
      );
      expect(tokenRedirectUris()).toEqual([logto.callbackUri(caller)]);
    },
  );

  it.each([
    // Its session is read once.
    ['sign-in page', ConnectorErrorCodes.InvalidRequestParameters, 0],
    // Xiaomi takes a code once.
    ['account center', ConnectorErrorCodes.SocialAuthCodeInvalid, 1],
  ] as const)(
    'the same callback posted twice to Logto’s %s fails with %s after %i more token calls',
    async (caller, code, tokenCalls) => {
      const { attempt, query } = await consentTo(logto, { caller });
      await logto.finish(attempt, query);
      fake.clearLog();
      expect((await failureOf(logto.finish(attempt, query))).code).toBe(code);
      expect(tokenRedirectUris()).toHaveLength(tokenCalls);
    },
  );

  it('a callback with a code older than five minutes fails with social_auth_code_invalid', async () => {
    const { attempt, query } = await consentTo(logto);
    clock.advance(5 * 60_000 + 1);
    const error = await failureOf(logto.finish(attempt, query));
    expect(error.code).toBe(ConnectorErrorCodes.SocialAuthCodeInvalid);
  });

  it('the account center through Logto 1.43’s shared callback URL (state ac_…) exchanges the code for the URL Xiaomi issued it to', async () => {
    const shared = new LogtoHost(connector, { connectorId: 'xiaomi-e2e', sharedCallback: true });
    const { attempt, query } = await consentTo(shared, { caller: 'account center' });
    expect(attempt.state).toMatch(/^ac_/);
    expect(attempt.redirectUri).toBe(redirectUri);
    // The page posts its own URL; the session saved at step 1 holds the one Xiaomi knows.
    expect(shared.connectorData(attempt, query).redirectUri).toBe(accountCenterUri);
    fake.clearLog();
    expect((await shared.finish(attempt, query)).id).toBe(fake.user.unionId);
    expect(tokenRedirectUris()).toEqual([redirectUri]);
  });
});

describe('each optional scope, granted or not', () => {
  const ways: [string, { choice?: ConsentChoice; permittedScopes?: number[] }][] = [
    ['the user allows reaches Logto', {}],
    ['the user unticks is absent', { choice: { decision: 'allow', scopes: [1] } }],
    ['Xiaomi never granted the app is absent', { permittedScopes: [1] }],
  ];
  const paths = { 3: '/user/openIdV2', 4: '/user/phoneAndEmail', 6: '/user/phoneAndEmail' };

  it.each(
    ways.flatMap(([what, how]) => ([3, 4, 6] as const).map((scope) => [scope, what, how] as const)),
  )(
    'scope %i %s; the user signs in with the unionId as id, the nickname and the avatar, after one token POST and only the Open API calls granted',
    async (scope, what, { choice, permittedScopes }) => {
      fake.setApp(permittedScopes ? { permittedScopes } : {});
      config.scope = `1 ${scope}`;
      const userInfo = await signIn(logto, choice ? { choice } : {});
      const { unionId, nickname, icon, phone, email } = fake.user;
      expect(userInfo).toMatchObject({ id: unionId, name: nickname, avatar: icon });
      expect(userInfo.rawData).toMatchObject({ unionId, miliaoNick: nickname });
      const granted = what.endsWith('Logto');
      const values = {
        3: expect.stringMatching(/^[\w-]{24}$/) as unknown,
        4: phone.replace('+', ''),
        6: email,
      };
      const { openId } = userInfo.rawData as { openId?: string };
      // The other optional fields stay absent.
      expect({ 3: openId, 4: userInfo.phone, 6: userInfo.email }).toEqual({
        [scope]: granted ? values[scope] : undefined,
      });
      const calls = fake.requestLog.filter(
        ({ target }) => target === 'token' || target === 'openApi',
      );
      // Sorted: the optional call's path comes before the others.
      expect(calls.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
        ...(granted ? [`GET ${paths[scope]}`] : []),
        'GET /user/profile',
        'POST /oauth2/token',
      ]);
    },
  );
  // An account without a phone or email (Xiaomi's empty strings): test/unit/user-info.test.ts.
});

describe('MAC-signed Open API calls', () => {
  it('signs the user in through an app that requires MAC when macSignature is on', async () => {
    fake.setApp({ requireMac: true });
    config.macSignature = true;
    config.scope = '1 3 4 6';
    const userInfo = await signIn(logto);
    expect(userInfo).toMatchObject({ id: fake.user.unionId, email: fake.user.email });
    expect(userInfo.rawData).toHaveProperty('openId');
  });

  it('fails with invalid_config and the MAC hint, not "the user cancelled", when such an app gets unsigned calls (96012)', async () => {
    fake.setApp({ requireMac: true });
    const error = await failureOf(signIn(logto));
    expect(error.code).toBe(ConnectorErrorCodes.InvalidConfig);
    expect(error.data).toMatchObject({
      step: 'profile',
      xiaomiCode: 96012,
      xiaomiError: 'OA_ACCESS_DENIED',
      hint: expect.stringContaining('Sign Open API calls (MAC)') as unknown,
    });
    expect(JSON.stringify(error.data)).not.toContain('cancel');
  });
});

describe('token storage', () => {
  /** A sign-in with token storage on: Logto calls getTokenResponseAndUserInfo instead. */
  const signInKeepingTokens = async () => {
    const { attempt, query } = await consentTo(logto);
    return logto.finishKeepingTokens(attempt, query);
  };
  /** The refresh token of a sign-in just made, and the log cleared of that sign-in. */
  const freshRefreshToken = async () => {
    const { tokenResponse } = await signInKeepingTokens();
    fake.clearLog();
    return tokenResponse!.refresh_token!;
  };
  const refreshCalls = () =>
    fake.requestLog.filter((entry) => entry.params['grant_type'] === 'refresh_token');

  beforeEach(() => {
    config.redirectUri = redirectUri;
  });

  it('hands Logto Xiaomi’s tokens with the user info, and refresh tokens that work once each', async () => {
    const { tokenResponse, userInfo } = await signInKeepingTokens();
    expect(userInfo.id).toBe(fake.user.unionId);
    expect(tokenResponse).toMatchObject({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'mac',
      scope: '1',
      expires_in: 7_776_000,
    });
    const first = tokenResponse!.refresh_token!;
    const refreshed = await connector.getAccessTokenByRefreshToken!(first);
    expect(refreshed.access_token).not.toBe(tokenResponse!.access_token);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(first);
    const reused = await failureOf(connector.getAccessTokenByRefreshToken!(first), [first]);
    expect(reused.code).toBe(ConnectorErrorCodes.SocialAccessTokenInvalid);
    expect(JSON.stringify(reused.data)).toContain('96009');
    const again = await connector.getAccessTokenByRefreshToken!(refreshed.refresh_token!);
    expect(again.access_token).toEqual(expect.any(String));
  });

  describe('a refresh that breaks is tried again only if Xiaomi cannot have read it', () => {
    it('is not tried again when the connection was reset after Xiaomi read it: the spent token is never presented twice', async () => {
      const refreshToken = await freshRefreshToken();
      fake.scriptFaults('/oauth2/token', ['reset'], 'after');
      const error = await failureOf(connector.getAccessTokenByRefreshToken!(refreshToken));
      expect(error.code).toBe(ConnectorErrorCodes.General);
      expect(refreshCalls()).toHaveLength(1);
    });

    it('is not tried again after a gateway’s 5xx either: Xiaomi may have read it', async () => {
      const refreshToken = await freshRefreshToken();
      fake.scriptFaults('/oauth2/token', ['html5xx']);
      const error = await failureOf(connector.getAccessTokenByRefreshToken!(refreshToken));
      expect(error.code).toBe(ConnectorErrorCodes.InvalidResponse);
      expect(refreshCalls()).toHaveLength(1);
      // It had not: the refresh token still works.
      const refreshed = await connector.getAccessTokenByRefreshToken!(refreshToken);
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
});

// Xiaomi's own verdicts (its codes, HTTP 429 or 404) never tried again, garbage twice, and broken
// optional calls: test/unit/retries.test.ts, token-exchange.test.ts and open-api.test.ts.
describe('when Xiaomi breaks', () => {
  it.each([
    ['a 5xx profile answer', '/user/profile', 'html5xx'],
    ['a reset profile connection', '/user/profile', 'reset'],
    ['garbage from the profile call', '/user/profile', 'garbage'],
    ['a token exchange a gateway’s 5xx stopped before Xiaomi', '/oauth2/token', 'html5xx'],
    ['a token exchange whose connection was reset before Xiaomi read it', '/oauth2/token', 'reset'],
  ] as const)('retries %s once and signs the user in', async (_, path, kind) => {
    fake.scriptFaults(path, [kind]);
    expect((await signIn(logto)).id).toBe(fake.user.unionId);
    expect(callsTo(path)).toHaveLength(2);
  });

  it.each([
    ['profile call', '/user/profile', ['html5xx', 'reset']],
    ['token exchange', '/oauth2/token', ['reset', 'reset']],
  ] as const)(
    'never tries a %s a third time: after %j it fails with general, Xiaomi unreachable',
    async (_, path, kinds) => {
      fake.scriptFaults(path, [...kinds, 'none']);
      const error = await failureOf(signIn(logto));
      expect(error.code).toBe(ConnectorErrorCodes.General);
      expect((error.data as { hint: string }).hint).toContain('could not be reached');
      expect(JSON.stringify(error.data)).toContain('ECONNRESET');
      expect(callsTo(path)).toHaveLength(2);
    },
  );

  it.each([
    ['a 5xx came', 'html5xx', 'invalid_response', 'HTML'],
    ['the connection was reset', 'reset', 'general', 'ECONNRESET'],
  ] as const)(
    'fails, not with a misleading 96013, when %s after Xiaomi redeemed the code: with %s, naming the first failure',
    async (_, kind, code, reason) => {
      fake.scriptFaults('/oauth2/token', [kind], 'after');
      const error = await failureOf(signIn(logto));
      expect(error.code).toBe(code);
      expect(JSON.stringify(error.data)).toContain(reason);
      expect(JSON.stringify(error.data)).not.toContain('96013');
      // The second attempt met the spent code.
      expect(callsTo('/oauth2/token').map((entry) => entry.xiaomiCode)).toEqual([undefined, 96013]);
    },
  );
});
