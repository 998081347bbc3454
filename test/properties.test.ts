/**
 * Whatever Logto posts as callback data and whatever Xiaomi answers, a sign-in ends in exactly one
 * of two ways: a valid social user info, or a ConnectorError with a message for Logto to show.
 * Never a raw exception, never a hang, never the secret in the message.
 */
import type { SocialUserInfo } from '@logto/connector-kit';
import { ConnectorError, socialUserInfoGuard } from '@logto/connector-kit';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createXiaomiConnector } from '../src/testing.ts';

import type { FakeXiaomi } from './fake-xiaomi/index.ts';
import { startFakeXiaomi, tokenPrefix } from './fake-xiaomi/index.ts';
import {
  LogtoHost,
  logtoCallers,
  type Connector,
  type LogtoCaller,
} from './fake-xiaomi/logto-host.ts';
import { passConsent } from './fake-xiaomi/scripted-user.ts';

const redirectUri = 'http://127.0.0.1/callback/xiaomi-properties';
const accountCenterUri = 'http://127.0.0.1/account/callback/social/xiaomi-properties';
const timeoutMs = 2000;
const numRuns = 120;
let fake: FakeXiaomi;
let connector: Connector;
let logto: LogtoHost;
const config = { clientId: '', clientSecret: '', scope: '1 3 4 6' };
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  fake = await startFakeXiaomi({ apps: [{ redirectUris: [redirectUri, accountCenterUri] }] });
  config.clientId = fake.app.clientId;
  config.clientSecret = fake.app.clientSecret;
  connector = await createXiaomiConnector({ endpoints: fake.endpoints, timeoutMs })({
    getConfig: async () => config,
  });
  logto = new LogtoHost(connector, {
    origin: 'http://127.0.0.1',
    connectorId: 'xiaomi-properties',
  });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
  await fake.close();
});

beforeEach(() => {
  successes = 0;
  for (const path of ['/oauth2/token', '/user/profile', '/user/openIdV2', '/user/phoneAndEmail']) {
    fake.setCannedAnswer(path, undefined);
  }
});

/** A fresh sign-in up to the callback, started by one of Logto's callers, and Xiaomi's query. */
const consented = async (caller: LogtoCaller = 'sign-in page') => {
  const attempt = await logto.start(caller, { state: 'prop-state' });
  const outcome = await passConsent(attempt.authorizationUri, { decision: 'allow' });
  if (outcome.kind !== 'redirected') {
    throw new Error('consent failed');
  }
  return { attempt, query: outcome.query };
};

type Settled = { userInfo: SocialUserInfo } | { error: ConnectorError };
let successes = 0;

/** Runs one sign-in step and fails the property on anything but the two allowed outcomes. */
const settle = async (run: () => Promise<SocialUserInfo>): Promise<Settled> => {
  const begin = Date.now();
  let settled: Settled;
  try {
    settled = { userInfo: await run() };
  } catch (error: unknown) {
    if (!(error instanceof ConnectorError)) {
      throw new Error(`not a ConnectorError: ${String(error)}`);
    }
    settled = { error };
  }
  expect(Date.now() - begin).toBeLessThan(timeoutMs + 500);
  if ('userInfo' in settled) {
    successes++;
    expect(socialUserInfoGuard.safeParse(settled.userInfo).success).toBe(true);
    expect(settled.userInfo.id.trim()).not.toBe('');
  } else {
    const data = settled.error.data as { errorDescription?: unknown };
    expect(typeof data.errorDescription).toBe('string');
    expect(JSON.stringify(data)).not.toContain(config.clientSecret);
  }
  return settled;
};

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', ' ', 'null', '96008', '0', 'ok', 'error'),
);
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

describe('callback data', () => {
  it('whatever Logto posts, the outcome is a valid user info or a ConnectorError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record(
            {
              code: fc.oneof(scalar, fc.constant('<valid>')),
              state: fc.oneof(scalar, fc.constant('prop-state')),
              error: scalar,
              error_description: scalar,
              redirectUri: fc.oneof(scalar, fc.constant(redirectUri), fc.webUrl()),
            },
            { requiredKeys: [] },
          ),
          // Close to a real callback, so that the success path is explored too.
          fc.record(
            {
              code: fc.constant('<valid>'),
              state: fc.constantFrom('prop-state', 'prop-state', 'other-state'),
              redirectUri: fc.constantFrom(redirectUri, redirectUri, 'http://127.0.0.1/elsewhere'),
              extra: scalar,
            },
            { requiredKeys: ['code'] },
          ),
        ),
        fc.constantFrom(...logtoCallers),
        fc.boolean(),
        async (data, caller, started) => {
          const { attempt, query } = await consented(caller);
          if (!started) {
            // No sign-in started here: what each caller's storage then holds.
            attempt.storage.connectorSession = caller === 'account center' ? {} : undefined;
          }
          const callback =
            typeof data === 'object' &&
            data !== null &&
            (data as { code?: unknown }).code === '<valid>'
              ? { ...data, code: query['code'] }
              : data;
          // Apps that drive Logto's experience API post whatever they like as connectorData.
          await settle(async () => connector.getUserInfo(callback, logto.getSession(attempt)));
        },
      ),
      { numRuns },
    );
    expect(successes, 'runs that signed the user in').toBeGreaterThan(numRuns / 10);
  });
});

const status = fc.oneof(
  { arbitrary: fc.constant(200), weight: 4 },
  { arbitrary: fc.constantFrom(201, 302, 400, 401, 403, 404, 429, 500, 502, 503), weight: 1 },
);

const jsonLike: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(fc.string(), scalar),
);

const tokenBody = fc.oneof(
  text,
  jsonLike.map((value) => JSON.stringify(value)),
  fc
    .tuple(
      fc.constantFrom('', ' ', '\n', ' \r\n '),
      fc.oneof(
        jsonLike,
        fc.record(
          {
            access_token: scalar,
            'token_type ': scalar,
            expires_in: scalar,
            refresh_token: scalar,
            scope: scalar,
            openId: scalar,
            union_id: scalar,
            error: scalar,
            error_description: scalar,
          },
          { requiredKeys: [] },
        ),
      ),
    )
    .map(([padding, value]) => `${tokenPrefix}${padding}${JSON.stringify(value)}`),
);

const envelope = (data: fc.Arbitrary<unknown>) =>
  fc.oneof(
    text,
    jsonLike.map((value) => JSON.stringify(value)),
    fc
      .record(
        { result: scalar, description: scalar, code: scalar, data: fc.oneof(data, scalar) },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
    // Xiaomi's ok envelope around odd data, so that the success path is explored too.
    {
      arbitrary: fc
        .record({
          result: fc.constantFrom('ok', 'OK'),
          description: fc.constant('success'),
          code: fc.constantFrom(0, '0'),
          data,
        })
        .map((value) => JSON.stringify(value)),
      weight: 3,
    },
  );

const profileData = fc.record(
  {
    unionId: fc.oneof(scalar, fc.stringMatching(/^[\w-]{1,40}$/)),
    miliaoNick: scalar,
    miliaoIcon: fc.oneof(scalar, fc.webUrl()),
    miliaoIcon_orig: fc.oneof(scalar, fc.webUrl()),
    userId: scalar,
  },
  { requiredKeys: ['unionId'] },
);
const phoneAndEmailData = fc.record(
  {
    phone: fc.oneof(scalar, fc.constantFrom('13800138000', '+8613800138000', '138****0000')),
    email: fc.oneof(scalar, fc.emailAddress(), fc.constant('a***@mi.com')),
  },
  { requiredKeys: [] },
);

describe('Xiaomi’s answers', () => {
  it('whatever the token endpoint answers, the outcome is a valid user info or a ConnectorError', async () => {
    await fc.assert(
      fc.asyncProperty(status, tokenBody, async (tokenStatus, body) => {
        const { attempt, query } = await consented();
        fake.setCannedAnswer('/oauth2/token', {
          status: tokenStatus,
          body,
          contentType: 'text/html',
        });
        await settle(async () => logto.finish(attempt, query));
      }),
      { numRuns },
    );
  });

  it('whatever the Open API answers, the outcome is a valid user info or a ConnectorError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(status, envelope(profileData)),
        fc.tuple(status, envelope(fc.record({ openid: scalar }, { requiredKeys: [] }))),
        fc.tuple(status, envelope(phoneAndEmailData)),
        async (profile, openId, phoneAndEmail) => {
          const { attempt, query } = await consented();
          const answers = {
            '/user/profile': profile,
            '/user/openIdV2': openId,
            '/user/phoneAndEmail': phoneAndEmail,
          };
          for (const [path, [answerStatus, body]] of Object.entries(answers)) {
            fake.setCannedAnswer(path, { status: answerStatus, body });
          }
          const settled = await settle(async () => logto.finish(attempt, query));
          if ('userInfo' in settled) {
            // Logto links accounts by these, so they are real addresses or absent.
            const { email, phone } = settled.userInfo;
            expect(email === undefined || /^[^\s@*]+@[^\s@*]+$/.test(email)).toBe(true);
            expect(phone === undefined || /^\d{7,15}$/.test(phone)).toBe(true);
          }
        },
      ),
      { numRuns },
    );
    expect(successes, 'runs that signed the user in').toBeGreaterThan(numRuns / 10);
  });
});
