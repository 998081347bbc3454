import { describe, expect, it } from 'vitest';

import type { GetSession } from '@logto/connector-kit';

import {
  accountCenterCallback,
  authorizationCode,
  callback,
  makeConnector,
  noSessionSaved,
  expectConnectorError,
  redirectUri,
  sessionOf,
  signIn,
  signInSession,
  throwingGetSession,
  answeringSignIn,
} from './fixtures.ts';
import { MemoryXiaomi } from './memory-xiaomi.ts';

describe('callback', () => {
  // Each of Logto's callers signing in with what its code posts: e2e.test.ts, over sockets.
  it.each([
    ['Logto’s sign-in page rejects with its RequestError', noSessionSaved],
    ['the account center resolves an empty session', sessionOf({})],
    ['a session store fails with another error', () => Promise.reject(new TypeError('down'))],
    [
      'getSession throws another error synchronously',
      (() => {
        throw new TypeError('down');
      }) as GetSession,
    ],
  ])('refuses a callback for which no sign-in was started: %s', async (_, getSession) => {
    const xiaomi = new MemoryXiaomi();
    const data = await expectConnectorError(
      signIn(xiaomi, { getSession }),
      'invalid_request_parameters',
    );
    expect(data.hint).toContain('no sign-in');
    expect(xiaomi.sent).toEqual([]);
  });

  it.each([
    [
      'authorization_failed when the user denies consent (96012), naming the code for the admin',
      '96012',
      'authorization_failed',
      { step: 'callback', xiaomiCode: 96012, xiaomiError: 'OA_ACCESS_DENIED' },
    ],
    [
      'authorization_failed for a non-numeric error such as access_denied',
      'access_denied',
      'authorization_failed',
      {},
    ],
    [
      'invalid_config when Xiaomi redirects back with a redirect URI mismatch (96010)',
      '96010',
      'invalid_config',
      { hint: expect.stringContaining('/callback/') as unknown },
    ],
  ])('gives %s', async (_, error, code, data) => {
    const denied = { error, error_description: 'user denied', state: 'state-1', redirectUri };
    expect(
      await expectConnectorError(signIn(new MemoryXiaomi(), { data: denied }), code),
    ).toMatchObject(data);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'code=abc'],
    ['an array', [authorizationCode]],
    ['an empty object', {}],
    ['a numeric code', { code: 123, redirectUri }],
    ['an empty code', { code: '', redirectUri }],
    ['an oversized code', { code: 'x'.repeat(5000), redirectUri }],
  ])('rejects %s with a ConnectorError, never a TypeError', async (_, data) => {
    // Passed on as it is: `signIn` would stand its default callback in for `undefined`.
    const connector = await makeConnector(new MemoryXiaomi());
    await expectConnectorError(
      connector.getUserInfo(data, signInSession),
      'invalid_request_parameters',
    );
  });

  it('rejects a callback whose state differs from the one saved at step 1', async () => {
    const forged = { ...accountCenterCallback, state: 'forged' };
    const data = await expectConnectorError(
      signIn(new MemoryXiaomi(), { data: forged }),
      'invalid_request_parameters',
    );
    expect(data.hint).toContain('state');
  });

  it.each([
    [
      'prefers the redirect URI saved in the session over the posted one',
      signInSession,
      redirectUri,
    ],
    [
      'signs in with the posted redirect URI where getSession throws not_implemented, as on Logto’s admin and "my account" APIs',
      throwingGetSession,
      'https://other.example.com/cb',
    ],
  ])('%s', async (_, getSession, exchangedFor) => {
    const xiaomi = answeringSignIn();
    const data = { ...callback, redirectUri: 'https://other.example.com/cb' };
    await expect(signIn(xiaomi, { data, getSession })).resolves.toMatchObject({ id: 'union-1' });
    expect(xiaomi.sentTo('POST /oauth2/token')[0]?.form?.get('redirect_uri')).toBe(exchangedFor);
  });

  it('fails with a ConnectorError when neither the session nor the data has a redirect URI', async () => {
    await expectConnectorError(
      signIn(new MemoryXiaomi(), {
        data: { code: authorizationCode },
        getSession: throwingGetSession,
      }),
      'invalid_request_parameters',
    );
  });
});
