/**
 * Full sign-ins of the connector as it ships (the built `lib/index.js`) against the fake Xiaomi,
 * over real loopback sockets: Logto's calls as each of Logto's callers makes them (the host model
 * in fakes/logto-host/logto-host.ts, which cites Logto's code), the user's consent page, Xiaomi's hosts,
 * token storage and MAC signing, and the retry rule step by step. Unless a test names another
 * caller, it is Logto's sign-in page. What time and connections do is in real-networks.test.ts.
 */
import { ConnectorErrorCodes } from '@logto/connector-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { FakeXiaomi, Faults } from '../../fakes/xiaomi/index.ts';
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
  fake.setQuirks({});
  config = { clientId: fake.app.clientId, clientSecret: fake.app.clientSecret, scope: '1' };
});

describe('a sign-in the user allows', () => {
  it('gives Logto the unionId as id, the nickname and the avatar', async () => {
    const userInfo = await signIn(logto);
    expect(userInfo).toMatchObject({
      id: fake.user.unionId,
      name: fake.user.nickname,
      avatar: fake.user.icon,
      rawData: { unionId: fake.user.unionId, miliaoNick: fake.user.nickname },
    });
    expect(userInfo).not.toHaveProperty('email');
    expect(userInfo).not.toHaveProperty('phone');
  });

  it('makes one token POST and only the Open API calls the granted scopes allow', async () => {
    config.scope = '1 6';
    fake.clearLog();
    await signIn(logto);
    const calls = fake.requestLog.map((entry) => `${entry.method} ${entry.path}`);
    expect(calls.filter((call) => call.startsWith('POST /oauth2/token'))).toHaveLength(1);
    expect(calls).toContain('GET /user/profile');
    expect(calls).toContain('GET /user/phoneAndEmail');
    expect(calls).not.toContain('GET /user/openIdV2');
  });

  it('reads Xiaomi’s documented quirks: whitespace after the prefix, spaced keys, string codes', async () => {
    fake.setQuirks({ prefixPadding: ' \r\n ', spacedKeys: true, stringErrorCodes: true });
    expect((await signIn(logto)).id).toBe(fake.user.unionId);
  });
});

describe('each of Logto’s callers, posting what Logto’s code posts', () => {
  const tokenRedirectUris = () =>
    fake.requestLog
      .filter((entry) => entry.path === '/oauth2/token')
      .map((entry) => entry.params['redirect_uri']);

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

  it('the sign-in page’s session is read once: the same callback posted twice fails without a second token call', async () => {
    const { attempt, query } = await consentTo(logto);
    await logto.finish(attempt, query);
    fake.clearLog();
    const error = await failureOf(logto.finish(attempt, query));
    expect(error.code).toBe(ConnectorErrorCodes.InvalidRequestParameters);
    expect(tokenRedirectUris()).toEqual([]);
  });

  it('the account center through Logto 1.43’s shared callback URL (state ac_…) exchanges the code for the URL Xiaomi issued it to', async () => {
    const shared = new LogtoHost(connector, {
      origin: 'https://logto.example.com',
      connectorId: 'xiaomi-e2e',
      sharedCallback: true,
    });
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
  const scopes = {
    3: (info: Awaited<ReturnType<typeof signIn>>) => (info.rawData as { openId?: string }).openId,
    4: (info: Awaited<ReturnType<typeof signIn>>) => info.phone,
    6: (info: Awaited<ReturnType<typeof signIn>>) => info.email,
  };
  const expected = {
    3: () => expect.stringMatching(/^[\w-]{24}$/) as unknown,
    4: () => fake.user.phone.replace('+', ''),
    6: () => fake.user.email,
  };

  const ways: [string, { choice?: ConsentChoice; permittedScopes?: number[] }][] = [
    ['the user allows reaches Logto', {}],
    ['the user unticks is absent', { choice: { decision: 'allow', scopes: [1] } }],
    ['Xiaomi never granted the app is absent', { permittedScopes: [1] }],
  ];

  it.each(
    ways.flatMap(([what, how]) => ([3, 4, 6] as const).map((scope) => [scope, what, how] as const)),
  )('scope %i %s, and the sign-in succeeds', async (scope, what, { choice, permittedScopes }) => {
    fake.setApp(permittedScopes ? { permittedScopes } : {});
    config.scope = `1 ${scope}`;
    const userInfo = await signIn(logto, choice ? { choice } : {});
    expect(userInfo.id).toBe(fake.user.unionId);
    expect(scopes[scope](userInfo)).toEqual(what.endsWith('Logto') ? expected[scope]() : undefined);
  });
  // An account without a phone or email (Xiaomi's empty strings): test/unit/user-info.test.ts.
});

describe('a sign-in that fails', () => {
  it('fails with authorization_failed when the user denies consent', async () => {
    const error = await failureOf(signIn(logto, { choice: { decision: 'deny' } }));
    expect(error.code).toBe(ConnectorErrorCodes.AuthorizationFailed);
  });

  it('fails with social_auth_code_invalid when the same code comes back twice (account center)', async () => {
    const { attempt, query } = await consentTo(logto, { caller: 'account center' });
    await logto.finish(attempt, query);
    const error = await failureOf(logto.finish(attempt, query));
    expect(error.code).toBe(ConnectorErrorCodes.SocialAuthCodeInvalid);
  });

  it('fails with social_auth_code_invalid when the code is older than five minutes', async () => {
    const { attempt, query } = await consentTo(logto);
    clock.advance(5 * 60_000 + 1);
    const error = await failureOf(logto.finish(attempt, query));
    expect(error.code).toBe(ConnectorErrorCodes.SocialAuthCodeInvalid);
  });

  it('fails with invalid_config, without echoing the secret, when the Client Secret is wrong', async () => {
    config.clientSecret = 'wrong-secret-7788';
    const error = await failureOf(signIn(logto), ['wrong-secret-7788']);
    expect(error.code).toBe(ConnectorErrorCodes.InvalidConfig);
    expect(JSON.stringify(error.data)).toContain('96003');
  });

  // Xiaomi's error page for a callback URL it does not know: test/sockets/fake-xiaomi.test.ts.
  it('fails with invalid_config when the admin API posts another redirect URI than the code’s', async () => {
    const other = 'https://logto.example.com/callback/proxied';
    fake.setApp({ redirectUris: [redirectUri, other] });
    const { attempt, query } = await consentTo(logto, { caller: 'admin API' });
    const error = await failureOf(logto.finish({ ...attempt, redirectUri: other }, query));
    expect(error.code).toBe(ConnectorErrorCodes.InvalidConfig);
    expect(JSON.stringify(error.data)).toContain('96010');
  });
});

describe('MAC-signed Open API calls', () => {
  beforeEach(() => {
    fake.setApp({ requireMac: true });
  });

  afterAll(() => {
    fake.setApp({ requireMac: false });
  });

  it('signs the user in through an app that requires MAC when macSignature is on', async () => {
    config.macSignature = true;
    config.scope = '1 3 4 6';
    const userInfo = await signIn(logto);
    expect(userInfo).toMatchObject({ id: fake.user.unionId, email: fake.user.email });
    expect(userInfo.rawData).toHaveProperty('openId');
  });

  it('fails with invalid_config and the MAC hint, not "the user cancelled", when such an app gets unsigned calls (96012)', async () => {
    const error = await failureOf(signIn(logto));
    expect(error.code).toBe(ConnectorErrorCodes.InvalidConfig);
    expect(error.data).toMatchObject({
      step: 'profile',
      xiaomiCode: 96012,
      xiaomiError: 'OA_ACCESS_DENIED',
    });
    expect((error.data as { hint: string }).hint).toContain('Sign Open API calls (MAC)');
    expect(JSON.stringify(error.data)).not.toContain('cancel');
  });
});

describe('token storage', () => {
  /** A sign-in with token storage on: Logto calls getTokenResponseAndUserInfo instead. */
  const signInKeepingTokens = async () => {
    const { attempt, query } = await consentTo(logto);
    return logto.finishKeepingTokens(attempt, query);
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
      const { tokenResponse } = await signInKeepingTokens();
      fake.clearLog();
      fake.scriptFaults('/oauth2/token', ['reset'], 'after');
      const error = await failureOf(
        connector.getAccessTokenByRefreshToken!(tokenResponse!.refresh_token!),
      );
      expect(error.code).toBe(ConnectorErrorCodes.General);
      expect(refreshCalls()).toHaveLength(1);
    });

    it('is not tried again after a gateway’s 5xx either: Xiaomi may have read it', async () => {
      const { tokenResponse } = await signInKeepingTokens();
      fake.clearLog();
      fake.scriptFaults('/oauth2/token', ['html5xx']);
      const error = await failureOf(
        connector.getAccessTokenByRefreshToken!(tokenResponse!.refresh_token!),
      );
      expect(error.code).toBe(ConnectorErrorCodes.InvalidResponse);
      expect(refreshCalls()).toHaveLength(1);
      // It had not: the refresh token still works.
      const refreshed = await connector.getAccessTokenByRefreshToken!(
        tokenResponse!.refresh_token!,
      );
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

describe('when Xiaomi breaks', () => {
  const callsTo = (path: string) => fake.requestLog.filter((entry) => entry.path === path).length;

  beforeEach(() => {
    fake.clearLog();
  });

  it.each([
    ['a 5xx profile answer', '/user/profile', 'html5xx'],
    ['a reset profile connection', '/user/profile', 'reset'],
    ['garbage from the profile call', '/user/profile', 'garbage'],
    ['a token exchange a gateway’s 5xx stopped before Xiaomi', '/oauth2/token', 'html5xx'],
    ['a token exchange whose connection was reset before Xiaomi read it', '/oauth2/token', 'reset'],
  ] as const)('retries %s once and signs the user in', async (_, path, kind) => {
    fake.scriptFaults(path, [kind]);
    expect((await signIn(logto)).id).toBe(fake.user.unionId);
    expect(callsTo(path)).toBe(2);
  });

  it('never tries a profile call a third time: a 5xx, then a reset, fails with general', async () => {
    fake.scriptFaults('/user/profile', ['html5xx', 'reset', 'none']);
    const error = await failureOf(signIn(logto));
    expect(error.code).toBe(ConnectorErrorCodes.General);
    expect(callsTo('/user/profile')).toBe(2);
  });

  it('fails with invalid_response when the profile call answers garbage twice', async () => {
    fake.scriptFaults('/user/profile', ['garbage', 'garbage']);
    expect((await failureOf(signIn(logto))).code).toBe(ConnectorErrorCodes.InvalidResponse);
    expect(callsTo('/user/profile')).toBe(2);
  });

  it.each([
    ['token exchange', '/oauth2/token', { tokenErrorCodes: [96013] }, 'social_auth_code_invalid'],
    [
      'profile call',
      '/user/profile',
      { openApiErrorCodes: [96008] },
      'social_invalid_access_token',
    ],
  ] as [string, string, Partial<Faults>, string][])(
    'never retries a %s Xiaomi refused with one of its codes: it fails with the code’s error',
    async (_, path, faults, code) => {
      fake.setFaults(faults);
      fake.scriptFaults(path, ['errorEnvelope', 'none']);
      expect((await failureOf(signIn(logto))).code).toBe(code);
      expect(callsTo(path)).toBe(1);
    },
  );

  it('never tries a token exchange a third time: reset twice, it fails with general, Xiaomi unreachable', async () => {
    fake.scriptFaults('/oauth2/token', ['reset', 'reset', 'none']);
    const error = await failureOf(signIn(logto));
    expect(error.code).toBe(ConnectorErrorCodes.General);
    expect((error.data as { hint: string }).hint).toContain('could not be reached');
    expect(JSON.stringify(error.data)).toContain('ECONNRESET');
    expect(callsTo('/oauth2/token')).toBe(2);
  });

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
      expect(callsTo('/oauth2/token')).toBe(2);
      expect(fake.requestLog.map((entry) => entry.xiaomiCode)).toContain(96013);
    },
  );

  it.each([
    [429, 'Too Many Requests', ConnectorErrorCodes.RateLimitExceeded],
    [404, '<html><body>Not Found</body></html>', ConnectorErrorCodes.InvalidResponse],
  ])(
    'never retries a token exchange answered with HTTP %i: a second attempt would get the same',
    async (status, body, code) => {
      fake.setCannedAnswer('/oauth2/token', { status, body, contentType: 'text/html' });
      try {
        expect((await failureOf(signIn(logto))).code).toBe(code);
        expect(callsTo('/oauth2/token')).toBe(1);
      } finally {
        fake.setCannedAnswer('/oauth2/token', undefined);
      }
    },
  );

  it('signs the user in when the optional openIdV2 and phoneAndEmail calls break', async () => {
    config.scope = '1 3 4 6';
    fake.scriptFaults('/user/openIdV2', ['garbage', 'garbage']);
    fake.scriptFaults('/user/phoneAndEmail', ['errorEnvelope']);
    const userInfo = await signIn(logto);
    expect(userInfo.id).toBe(fake.user.unionId);
    expect(userInfo).not.toHaveProperty('email');
    expect(userInfo.rawData).not.toHaveProperty('openId');
  });
});
