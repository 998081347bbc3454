/**
 * Whatever Logto posts as callback data and whatever Xiaomi answers, a sign-in ends in exactly one
 * of two ways: a valid social user info, or a ConnectorError with a message for Logto to show.
 * Never a raw exception, never a hang, never a secret (as is or encoded) in the error, never
 * unbounded data, never a guessed email or phone. The generators include hostile shapes: codes
 * and descriptions that echo the secret, the code or the tokens in their wire forms, deep and
 * large profiles, lookalike masks and invisible characters.
 */
import type { SocialUserInfo } from '@logto/connector-kit';
import { ConnectorError, ConnectorErrorCodes, socialUserInfoGuard } from '@logto/connector-kit';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { userMessages } from '../../src/errors.ts';
import { xiaomiErrorTable } from '../../src/xiaomi-answers.ts';
import { createXiaomiConnector } from '../../src/index.ts';

import type { FakeXiaomi } from '../../fakes/xiaomi/index.ts';
import { startFakeXiaomi, tokenPrefix } from '../../fakes/xiaomi/index.ts';
import {
  LogtoHost,
  logtoCallers,
  type Connector,
  type LogtoCaller,
} from '../../fakes/logto-host/logto-host.ts';
import { consentTo, knownProfileFields, nested, wireForms } from './sign-in.ts';

const redirectUri = 'http://127.0.0.1/callback/xiaomi-properties';
const accountCenterUri = 'http://127.0.0.1/account/callback/social/xiaomi-properties';
const timeoutMs = 2000;
const numRuns = 120;
let fake: FakeXiaomi;
let connector: Connector;
let logto: LogtoHost;
// Base64 like a real AppSecret, so that its URL- and form-encoded forms differ from it.
const clientSecret = 'iNb/7vbs+Qw9xK2mPq0Zr8Tu==';
const accessToken = 'V3_property-access/token+0123=';
const macKey = 'property-mac/key+4567=';
const config = { clientId: '', clientSecret, scope: '1 3 4 6', redirectUri };
/** The values of the current run that must never reach an error, in any form. */
let sensitive: string[] = [];
/** The authorization code of the current run. */
let code = '';
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  fake = await startFakeXiaomi({
    apps: [{ redirectUris: [redirectUri, accountCenterUri], clientSecret }],
  });
  config.clientId = fake.app.clientId;
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
  sensitive = [];
  for (const path of ['/oauth2/token', '/user/profile', '/user/openIdV2', '/user/phoneAndEmail']) {
    fake.setCannedAnswer(path, undefined);
  }
});

/** A fresh sign-in up to the callback, started by one of Logto's callers, and Xiaomi's query. */
const consented = async (caller: LogtoCaller = 'sign-in page') => {
  const consent = await consentTo(logto, { caller, state: 'prop-state' });
  code = consent.query['code'] ?? '';
  sensitive = [clientSecret, accessToken, macKey, code];
  return consent;
};

/**
 * What the connector holds when Logto hands it `value`: the secret, and `value` if it is text long
 * enough to be a code or a token (shorter generated text would match the connector's own words).
 */
const theSecretAnd = (value: unknown) => [
  clientSecret,
  ...(typeof value === 'string' && value.length >= 16 ? [value] : []),
];

/** Placeholders in generated text for the values of the run, as is and in their wire forms. */
const forms = ['', ':url', ':form'];
const placeholders = ['secret', 'code', 'token', 'mac'].flatMap((name) =>
  forms.map((form) => `{${name}${form}}`),
);

const fillIn = (body: string): string =>
  body.replace(/\{(secret|code|token|mac)(:url|:form)?\}/g, (_, name: string, form = '') => {
    const value = { secret: clientSecret, code, token: accessToken, mac: macKey }[name] ?? '';
    return wireForms(value)[forms.indexOf(form)]!;
  });

const expectNoSensitive = (text: string) => {
  for (const form of sensitive.filter((value) => value !== '').flatMap(wireForms)) {
    expect(text).not.toContain(form);
  }
};

const userTexts = new Set<string>(Object.values(userMessages));

/** A ConnectorError Logto can show: a known user text, a plain Xiaomi code, bounded, no secret. */
const expectSafeError = (error: unknown): ConnectorError => {
  if (!(error instanceof ConnectorError)) {
    throw new Error(`not a ConnectorError: ${String(error)}`);
  }
  const data = error.data as { errorDescription?: unknown; xiaomiCode?: unknown };
  expect(userTexts.has(data.errorDescription as string), String(data.errorDescription)).toBe(true);
  expect(
    data.xiaomiCode === undefined ||
      Number.isSafeInteger(data.xiaomiCode) ||
      (typeof data.xiaomiCode === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(data.xiaomiCode)),
  ).toBe(true);
  const leaked = JSON.stringify(data) + error.message;
  expect(leaked.length).toBeLessThan(4096);
  expectNoSensitive(leaked);
  return error;
};

let successes = 0;

/** Runs one sign-in step and fails the property on anything but the two allowed outcomes. */
const settle = async (run: () => Promise<SocialUserInfo>) => {
  const begin = Date.now();
  const userInfo = await run().catch((error: unknown) => {
    expectSafeError(error);
  });
  expect(Date.now() - begin).toBeLessThan(timeoutMs + 500);
  if (!userInfo) {
    return;
  }
  successes++;
  expect(socialUserInfoGuard.safeParse(userInfo).success).toBe(true);
  expect(userInfo.id.trim()).not.toBe('');
  // Flat, known and bounded: Logto keeps rawData in its audit log and on the user.
  for (const [key, value] of Object.entries(userInfo.rawData as Record<string, unknown>)) {
    expect(knownProfileFields.has(key), key).toBe(true);
    expect(typeof value === 'string' && value.length <= 1024, key).toBe(true);
  }
  // Logto links accounts by these, so they are real addresses or absent.
  const { email, phone } = userInfo;
  expect(
    email === undefined ||
      /^[A-Za-z0-9!#$%&'+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/.test(email),
  ).toBe(true);
  expect(phone === undefined || /^[1-9]\d{6,14}$/.test(phone)).toBe(true);
  expectNoSensitive(JSON.stringify(userInfo));
};

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', ' ', 'null', '96008', '0', 'ok', 'error'),
);
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/** Text that echoes a value of the run, hides characters, or is far too long. */
const hostileText = fc.oneof(
  text,
  fc
    .tuple(fc.string(), fc.constantFrom(...placeholders), fc.string())
    .map(([before, placeholder, after]) => `${before}${placeholder}${after}`),
  fc.constantFrom(
    'bad client_secret={secret:url} given',
    '{token}',
    'a\u202eb\u200bc\u0000d',
    'Your Xiaomi account is locked. Call +1-800-555-0100.',
  ),
  fc.string({ minLength: 2000, maxLength: 8000 }),
);
const hostileCode = fc.oneof(
  scalar,
  hostileText,
  fc.constantFrom(...Object.keys(xiaomiErrorTable).map(Number)),
  fc.constantFrom('96008', ' 96012 ', 'invalid_client', true),
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(fc.string(), scalar, { maxKeys: 3 }),
);
const deep = fc.integer({ min: 1, max: 2000 }).map(nested);
/** Masks that are not `*`, invisible characters, lists, quotes, and numbers of no certain country. */
const lookalikes = fc.constantFrom(
  ...['••••', '…', '＊＊＊', '∗∗'].map((mask) => `a${mask}@mi.com`),
  ...['\u200b', '\u0000', '\u202e'].map((hidden) => `lei${hidden}jun@example.com`),
  ...['victim@example.com,x', '"q"@x.com', '14155552671', '13800138000'],
  ...['138\u200b0013 8000', '+８６13800138000'],
);

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
              error: hostileCode,
              error_description: hostileText,
              redirectUri: fc.oneof(scalar, fc.constant(redirectUri), fc.webUrl()),
            },
            { requiredKeys: [] },
          ),
          // Close to a real callback, so that the success path is explored too.
          {
            arbitrary: fc.record(
              {
                code: fc.constant('<valid>'),
                state: fc.constantFrom('prop-state', 'prop-state', 'other-state'),
                redirectUri: fc.constantFrom(redirectUri, redirectUri, 'http://127.0.0.1/other'),
                extra: scalar,
              },
              { requiredKeys: ['code'] },
            ),
            weight: 2,
          },
        ),
        fc.constantFrom(...logtoCallers),
        fc.boolean(),
        async (data, caller, started) => {
          const { attempt, query } = await consented(caller);
          if (!started) {
            // No sign-in started here: what each caller's storage then holds.
            attempt.storage.connectorSession = caller === 'account center' ? {} : undefined;
          }
          const valid = (data as { code?: unknown } | null)?.code === '<valid>';
          const callback = valid ? { ...(data as object), code: query['code'] } : data;
          const hostile = JSON.parse(fillIn(JSON.stringify(callback) ?? 'null')) as unknown;
          sensitive = theSecretAnd((hostile as { code?: unknown } | null)?.code);
          // Apps that drive Logto's experience API post whatever they like as connectorData.
          await settle(async () =>
            connector.getUserInfo(
              typeof callback === 'object' ? hostile : callback,
              logto.getSession(attempt),
            ),
          );
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

const jsonLike = fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), scalar));

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
            access_token: fc.oneof(scalar, fc.constant('{token}')),
            'token_type ': scalar,
            expires_in: scalar,
            refresh_token: scalar,
            scope: scalar,
            openId: scalar,
            union_id: scalar,
            error: hostileCode,
            error_description: hostileText,
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
        {
          result: scalar,
          description: hostileText,
          code: hostileCode,
          data: fc.oneof(data, scalar),
        },
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
      weight: 5,
    },
  );

const profileData = fc.record(
  {
    unionId: fc.oneof(
      scalar,
      { arbitrary: fc.stringMatching(/^[\w-]{1,40}$/), weight: 4 },
      fc.constant('{token}'),
    ),
    miliaoNick: fc.oneof(scalar, hostileText, deep),
    miliaoIcon: fc.oneof(scalar, fc.webUrl()),
    miliaoIcon_orig: fc.oneof(scalar, fc.webUrl(), deep),
    userId: scalar,
    extra: fc.oneof(deep, hostileText, fc.array(scalar, { maxLength: 200 })),
  },
  { requiredKeys: ['unionId'] },
);
const openIdData = fc.record({ openid: scalar }, { requiredKeys: [] });
const phoneAndEmailData = fc.record(
  {
    phone: fc.oneof(
      scalar,
      lookalikes,
      fc.constantFrom('13800138000', '+8613800138000', '138****0000'),
    ),
    email: fc.oneof(scalar, fc.emailAddress(), lookalikes, fc.constant('a***@mi.com')),
  },
  { requiredKeys: [] },
);

describe('Xiaomi’s answers', () => {
  it('whatever the token endpoint answers, the outcome is a valid user info or a ConnectorError', async () => {
    await fc.assert(
      fc.asyncProperty(status, tokenBody, async (tokenStatus, body) => {
        const { attempt, query } = await consented();
        // No token is issued yet: the secret and the code are what the exchange must not echo.
        sensitive = [clientSecret, code];
        fake.setCannedAnswer('/oauth2/token', {
          status: tokenStatus,
          body: fillIn(body),
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
        fc.record({
          '/user/profile': fc.tuple(status, envelope(profileData)),
          '/user/openIdV2': fc.tuple(status, envelope(openIdData)),
          '/user/phoneAndEmail': fc.tuple(status, envelope(phoneAndEmailData)),
        }),
        async (answers) => {
          const { attempt, query } = await consented();
          // A token Xiaomi's answers below can echo back.
          fake.setCannedAnswer('/oauth2/token', {
            status: 200,
            body: `${tokenPrefix}${JSON.stringify({ access_token: accessToken, mac_key: macKey, scope: '1 3 4 6' })}`,
          });
          for (const [path, [answerStatus, body]] of Object.entries(answers)) {
            fake.setCannedAnswer(path, { status: answerStatus, body: fillIn(body) });
          }
          await settle(async () => logto.finish(attempt, query));
        },
      ),
      { numRuns },
    );
    expect(successes, 'runs that signed the user in').toBeGreaterThan(numRuns / 10);
  });
});

describe('token refresh', () => {
  it('whatever Logto passes as the refresh token, the outcome is a token response or a ConnectorError; only a usable token is sent, anything else fails with invalid_request_parameters', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.anything(), hostileText, fc.constantFrom('', ' ', '   ', 'r'.repeat(5000))),
        async (refreshToken) => {
          const usable =
            typeof refreshToken === 'string' &&
            /^[\x21-\x7e](?:[\x20-\x7e]{0,4094}[\x21-\x7e])?$/.test(refreshToken);
          sensitive = theSecretAnd(refreshToken);
          fake.clearLog();
          const error = await connector.getAccessTokenByRefreshToken!(refreshToken as string).then(
            () => undefined,
            expectSafeError,
          );
          if (error) {
            expect(error.data).toMatchObject({ step: 'refresh' });
          }
          if (!usable) {
            expect(error?.code).toBe(ConnectorErrorCodes.InvalidRequestParameters);
          }
          expect(fake.requestLog.map((entry) => entry.path)).toEqual(
            usable ? ['/oauth2/token'] : [],
          );
        },
      ),
      {
        numRuns,
        examples: [[undefined], [null], [42], [['REFRESH']], [''], ['   '], ['r'.repeat(5000)]],
      },
    );
  });
});
