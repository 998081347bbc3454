/**
 * Hostile input, through the connector as it ships (the built `lib/index.js`) against the fake
 * Xiaomi over real loopback sockets, driven as Logto drives it (fakes/logto-host/logto-host.ts):
 * whatever Xiaomi answers or a crafted callback link carries reaches no error, audit log, browser
 * or user account unredacted, unbounded or guessed. Each test reproduces one finding of issue 12
 * or 13; those about decoding and mapping alone (values of the wrong type, emails, phones) are
 * reproduced by test/unit/. docs/security.md states the rules.
 */
import { ConnectorErrorCodes, socialUserInfoGuard } from '@logto/connector-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { tokenPrefix, type FakeXiaomi } from '../../fakes/xiaomi/index.ts';
import {
  auditLogError,
  everywhere,
  messageShownToUser,
  type Connector,
  type LogtoHost,
} from '../../fakes/logto-host/logto-host.ts';
import {
  consentTo,
  failureOf,
  knownProfileFields,
  nested,
  signIn,
  startSignIns,
} from './sign-in.ts';

// Base64 like a real AppSecret, so that its URL- and form-encoded forms differ from it.
const clientSecret = 'iNb/7vbs+Qw9xK2mPq0Zr8Tu==';
const accessToken = 'V3_hostile-access-token/0123+4567=';
const macKey = 'hostile-mac-key/89ab+cdef=';
/** What no error may show, in any wire form, anywhere Logto puts it. */
const secrets = [clientSecret, accessToken, macKey];

let fake: FakeXiaomi;
let redirectUri: string;
let config: Record<string, unknown>;
let getConfig: () => Promise<unknown>;
let connector: Connector;
let logto: LogtoHost;

beforeAll(async () => {
  ({ fake, connector, logto, redirectUri } = await startSignIns({
    connectorId: 'xiaomi-hostile',
    app: { clientSecret },
    getConfig: async () => getConfig(),
  }));
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  for (const path of ['/oauth2/token', '/user/profile', '/user/openIdV2', '/user/phoneAndEmail']) {
    fake.setCannedAnswer(path, undefined);
  }
  fake.setUser({ phone: '+8613800138000', email: 'leijun@example.com' });
  fake.clearLog();
  config = { clientId: fake.app.clientId, clientSecret, scope: '1', redirectUri };
  getConfig = async () => config;
});

const cannedToken = (fields: Record<string, unknown>) =>
  fake.setCannedAnswer('/oauth2/token', {
    status: 200,
    body: `${tokenPrefix}${JSON.stringify(fields)}`,
    contentType: 'text/html',
  });

const goodToken = { access_token: accessToken, mac_key: macKey, scope: '1 3 4 6' };

const cannedProfile = (body: unknown, status = 200) =>
  fake.setCannedAnswer('/user/profile', {
    status,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const callsTo = (path: string) => fake.requestLog.filter((entry) => entry.path === path).length;

describe('what Xiaomi echoes never reaches an error unredacted', () => {
  it('a refresh answer whose error field carries the refresh token keeps it out of the error', async () => {
    const { attempt, query } = await consentTo(logto);
    const { tokenResponse } = await logto.finishKeepingTokens(attempt, query);
    const refreshToken = tokenResponse!.refresh_token!;
    cannedToken({ error: `bad refresh_token ${refreshToken}` });
    const error = await failureOf(connector.getAccessTokenByRefreshToken!(refreshToken), [
      ...secrets,
      refreshToken,
    ]);
    expect(error.data).toMatchObject({ step: 'refresh' });
    expect(error.data).not.toHaveProperty('xiaomiCode');
  });

  it('a token answer whose error field carries the client secret keeps it out of the error', async () => {
    const { attempt, query } = await consentTo(logto);
    cannedToken({
      error: `invalid request: client_secret=${clientSecret} code=${query['code']!}`,
      error_description: `client_secret=${clientSecret}`,
    });
    const error = await failureOf(logto.finish(attempt, query), [...secrets, query['code']!]);
    expect(error.data).not.toHaveProperty('xiaomiCode');
    expect(error.data).toMatchObject({ xiaomiDescription: 'client_secret=[redacted]' });
  });

  it('an Open API code carrying the access token keeps it out of the error', async () => {
    cannedToken(goodToken);
    cannedProfile({ result: 'error', code: `bad token ${accessToken}`, description: accessToken });
    const error = await failureOf(signIn(logto), secrets);
    expect(error.data).toMatchObject({ step: 'profile', xiaomiDescription: '[redacted]' });
    expect(error.data).not.toHaveProperty('xiaomiCode');
  });

  it('a description full of invisible and direction-changing characters is quoted on one plain line', async () => {
    const { attempt, query } = await consentTo(logto);
    cannedToken({ error: 96002, error_description: 'a\u202eb\u200bc\u0000d\ne' });
    const error = await failureOf(logto.finish(attempt, query), secrets);
    expect(error.data).toMatchObject({ xiaomiDescription: 'abc d e' });
  });
});

describe('a crafted callback link', () => {
  const scam = 'Your Xiaomi account is locked. Call +1-800-555-0100 to unlock it. ';

  it('with a 152 KB error gives a short error, and its text reaches neither the user nor the admin', async () => {
    const attempt = await logto.start('sign-in page');
    const huge = scam.repeat(Math.ceil(152_000 / scam.length));
    const error = await failureOf(
      logto.finish(attempt, { error: huge, error_description: huge, state: attempt.state }),
      secrets,
    );
    expect(error.code).toBe(ConnectorErrorCodes.AuthorizationFailed);
    expect(error.message.length).toBeLessThan(2048);
    expect(everywhere(error)).not.toContain('locked');
    expect(everywhere(error)).not.toContain('800');
    expect(callsTo('/oauth2/token')).toBe(0);
  });

  it('with a real Xiaomi code keeps the code for the admin and drops the description', async () => {
    const attempt = await logto.start('sign-in page');
    const error = await failureOf(
      logto.finish(attempt, { error: '96012', error_description: scam, state: attempt.state }),
      secrets,
    );
    expect(error.data).toMatchObject({ xiaomiCode: 96012, xiaomiError: 'OA_ACCESS_DENIED' });
    expect(everywhere(error)).not.toContain('locked');
  });
});

describe('rawData', () => {
  it('of a profile nested 1,500 levels deep is flat, and passes the guard Logto applies', async () => {
    cannedToken(goodToken);
    cannedProfile({
      result: 'ok',
      code: 0,
      data: { unionId: 'u-deep', miliaoNick: 'Deep', deep: nested(1500) },
    });
    const userInfo = await signIn(logto);
    expect(socialUserInfoGuard.safeParse(userInfo).success).toBe(true);
    expect(userInfo.rawData).toEqual({ unionId: 'u-deep', miliaoNick: 'Deep' });
  });

  it('holds only the fields this connector knows, each a bounded string, from a 60 KB profile', async () => {
    cannedToken(goodToken);
    cannedProfile({
      result: 'ok',
      code: 0,
      data: {
        unionId: 'u-big',
        miliaoNick: 'n'.repeat(20_000),
        miliaoIcon: `https://cdn.example.com/${'i'.repeat(20_000)}`,
        miliaoIcon_75: 'https://cdn.example.com/75.jpg',
        padding: 'p'.repeat(20_000),
        list: Array.from({ length: 100 }, (_, index) => index),
      },
    });
    const userInfo = await signIn(logto);
    expect(userInfo.rawData).toEqual({
      unionId: 'u-big',
      miliaoIcon_75: 'https://cdn.example.com/75.jpg',
    });
    for (const [key, value] of Object.entries(userInfo.rawData as Record<string, unknown>)) {
      expect(knownProfileFields.has(key)).toBe(true);
      expect(typeof value === 'string' && value.length <= 1024).toBe(true);
    }
  });

  const huge = {
    result: 'ok',
    code: 0,
    data: { unionId: 'u-huge', padding: 'p'.repeat(1_000_000) },
  };
  it.each([
    ['of 1 MB', JSON.stringify(huge), 'whole'],
    // Filler after it, without end: a connector that read the whole answer would never finish.
    [
      'that never ends',
      '{"result":"ok","code":0,"data":{"unionId":"u-huge","padding":"',
      'endless',
    ],
  ] as const)(
    'never comes from an answer %s: the answer is cut off at 64 KiB, before it is parsed',
    async (_, body, ends) => {
      cannedToken(goodToken);
      fake.setCannedAnswer('/user/profile', { status: 200, body, ends });
      const error = await failureOf(signIn(logto), secrets);
      expect(error.data).toMatchObject({ step: 'profile' });
      expect((error.data as { hint: string }).hint).toContain('answer too large');
    },
  );
});

// Values of the wrong type (a numeric access_token, an error or code of true, a code sent as a
// string) and masked, invisible or doubled emails and phones of no certain country are decoding
// and mapping: test/unit/xiaomi.test.ts, open-api.test.ts and user-info.test.ts.

describe('an unexpected failure', () => {
  it('keeps its cause out of data and the browser, on the error (non-enumerable) and, redacted, in the server log', async () => {
    const { attempt, query } = await consentTo(logto);
    const cause = new TypeError(`config store down while handling code ${query['code']!}`);
    getConfig = async () => {
      throw cause;
    };
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const error = await failureOf(logto.finish(attempt, query), [...secrets, query['code']!]);
      expect(error.code).toBe(ConnectorErrorCodes.General);
      expect(everywhere(error)).not.toContain('config store down');
      expect(JSON.stringify(error)).not.toContain('config store down');
      expect(error.cause).toBe(cause);
      expect(Object.keys(error)).not.toContain('cause');
      expect((error.data as { hint: string }).hint).toContain('TypeError');
      expect(log).toHaveBeenCalledTimes(1);
      const line = String(log.mock.calls[0]![0]);
      expect(line).toMatch(
        /^connector-xiaomi: getUserInfo failed unexpectedly: TypeError: config store down while handling code \[redacted\]\n {4}at /,
      );
      expect(line).not.toContain(query['code']!);
    } finally {
      log.mockRestore();
    }
  });
});

describe('what the user reads and what the admin reads', () => {
  it('the end user reads the connector’s sentence under Logto’s prefix, nothing Xiaomi said', async () => {
    const { attempt, query } = await consentTo(logto);
    cannedToken({ error: 96002, error_description: 'missing parameter' });
    const error = await failureOf(logto.finish(attempt, query), secrets);
    expect(error.code).toBe(ConnectorErrorCodes.General);
    expect(messageShownToUser(error)).toBe(
      'Error occurred in connector: Xiaomi could not complete the sign-in. Please try again.',
    );
  });

  it('the admin finds the step, Xiaomi’s code and name, what Xiaomi said and the fix in the audit log', async () => {
    const { attempt, query } = await consentTo(logto);
    cannedToken({ error: 96003, error_description: 'client mismatch' });
    const error = await failureOf(logto.finish(attempt, query), secrets);
    expect(error.code).toBe(ConnectorErrorCodes.InvalidConfig);
    const { message } = auditLogError(error);
    for (const detail of [
      '"step":"token"',
      '"xiaomiCode":96003',
      '"xiaomiError":"OA_INVALID_CLIENT"',
      '"xiaomiDescription":"client mismatch"',
      'copy the AppSecret of this AppID into Client Secret',
    ]) {
      expect(message).toContain(detail);
    }
    expect(messageShownToUser(error)).toBe("The connector's config is invalid.");
  });
});
