/**
 * Hostile input, through the connector as it ships (the built `lib/index.js`) against the fake
 * Xiaomi over real loopback sockets, driven as Logto drives it (fakes/logto-host/logto-host.ts):
 * whatever Xiaomi answers or a crafted callback link carries reaches no error, audit log, browser
 * or user account unredacted, unbounded or guessed. Each test reproduces one finding of issue 12
 * or 13; those about decoding and mapping alone (values of the wrong type, emails, phones) are
 * reproduced by test/unit/. docs/security.md states the rules.
 */
import { ConnectorErrorCodes } from '@logto/connector-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { tokenPrefix, type FakeXiaomi } from '../../fakes/xiaomi/index.ts';
import {
  auditLogError,
  everywhere,
  messageShownToUser,
  type LogtoHost,
} from '../../fakes/logto-host/logto-host.ts';
import { consentTo, failureOf, signIn, startSignIns } from './sign-in.ts';

// Base64 like a real AppSecret, so that its URL- and form-encoded forms differ from it.
const clientSecret = 'iNb/7vbs+Qw9xK2mPq0Zr8Tu==';
const accessToken = 'V3_hostile-access-token/0123+4567=';
const macKey = 'hostile-mac-key/89ab+cdef=';
/** What no error may show, in any wire form, anywhere Logto puts it. */
const secrets = [clientSecret, accessToken, macKey];

let fake: FakeXiaomi;
let redirectUri: string;
let getConfig: () => Promise<unknown>;
let logto: LogtoHost;

beforeAll(async () => {
  ({ fake, logto, redirectUri } = await startSignIns({
    connectorId: 'xiaomi-hostile',
    app: { clientSecret },
    getConfig: async () => getConfig(),
  }));
});

afterAll(async () => fake.close());

beforeEach(() => {
  fake.setCannedAnswer('/oauth2/token', undefined);
  fake.setCannedAnswer('/user/profile', undefined);
  fake.clearLog();
  const config = { clientId: fake.app.clientId, clientSecret, scope: '1', redirectUri };
  getConfig = async () => config;
});

const cannedToken = (fields: Record<string, unknown>) =>
  fake.setCannedAnswer('/oauth2/token', {
    status: 200,
    body: `${tokenPrefix}${JSON.stringify(fields)}`,
    contentType: 'text/html',
  });

// What Xiaomi echoes (the secret, the code, the tokens, in every wire form, in any field) never
// reaching an error: properties.test.ts, whatever the token endpoint and the Open API answer, and
// test/unit/token-exchange, open-api and token-storage.test.ts. Values of the wrong type (a numeric
// access_token, an error or code of true, a code sent as a string) and masked, invisible or
// doubled emails and phones of no certain country are decoding and mapping: test/unit/xiaomi,
// open-api and user-info.test.ts.
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
    expect(fake.requestLog.some((entry) => entry.path === '/oauth2/token')).toBe(false);
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

// A deep or large profile in rawData: properties.test.ts, whatever the Open API answers; a whole
// answer over 64 KiB: http.test.ts.
it('rawData never comes from an answer that never ends: it is cut off at 64 KiB, before it is parsed', async () => {
  cannedToken({ access_token: accessToken, mac_key: macKey, scope: '1' });
  // Filler after it, without end: a connector that read the whole answer would never finish.
  const body = '{"result":"ok","code":0,"data":{"unionId":"u-huge","padding":"';
  fake.setCannedAnswer('/user/profile', { status: 200, body, ends: 'endless' });
  const error = await failureOf(signIn(logto), secrets);
  expect(error.data).toMatchObject({ step: 'profile' });
  expect((error.data as { hint: string }).hint).toContain('answer too large');
});

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
    cannedToken({ error: 96002, error_description: 'missing parameter' });
    const error = await failureOf(signIn(logto), secrets);
    expect(error.code).toBe(ConnectorErrorCodes.General);
    expect(messageShownToUser(error)).toBe(
      'Error occurred in connector: Xiaomi could not complete the sign-in. Please try again.',
    );
  });

  it('the admin finds the step, Xiaomi’s code and name, what Xiaomi said and the fix in the audit log', async () => {
    cannedToken({ error: 96003, error_description: 'client mismatch' });
    const error = await failureOf(signIn(logto), secrets);
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

  it('a description full of invisible and direction-changing characters is quoted on one plain line', async () => {
    cannedToken({ error: 96002, error_description: 'a\u202eb\u200bc\u0000d\ne' });
    const error = await failureOf(signIn(logto), secrets);
    expect(error.data).toMatchObject({ xiaomiDescription: 'abc d e' });
  });
});
