import nock from 'nock';
import { describe, expect, it } from 'vitest';

import type { GetSession } from '@logto/connector-kit';

import {
  accountCenterCallback,
  authorizationCode,
  callback,
  noSessionSaved,
  expectConnectorError,
  makeConnector,
  redirectUri,
  sessionOf,
  signInSession,
  throwingGetSession,
  tokenBody,
} from './fixtures.ts';
import { accountHost, mockProfile, mockToken } from './nock.ts';

describe('callback', () => {
  it('signs in from { redirectUri, code } without state, as Logto’s sign-in page posts it', async () => {
    mockToken();
    mockProfile();
    const connector = await makeConnector();
    await expect(connector.getUserInfo(callback, signInSession)).resolves.toMatchObject({
      id: 'union-1',
    });
  });

  it('signs in from { code, state, redirectUri }, as Logto’s account center posts it', async () => {
    mockToken();
    mockProfile();
    const connector = await makeConnector();
    await expect(
      connector.getUserInfo(accountCenterCallback, signInSession),
    ).resolves.toMatchObject({ id: 'union-1' });
  });

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
    const token = nock(accountHost).post('/oauth2/token').reply(200, tokenBody());
    const connector = await makeConnector();
    const data = await expectConnectorError(
      connector.getUserInfo(callback, getSession),
      'invalid_request_parameters',
    );
    expect(data.hint).toContain('no sign-in');
    expect(token.isDone()).toBe(false);
    nock.cleanAll();
  });

  it('gives authorization_failed when the user denies consent (96012), naming the code for the admin', async () => {
    const connector = await makeConnector();
    const data = await expectConnectorError(
      connector.getUserInfo(
        { error: '96012', error_description: 'user denied', state: 'state-1', redirectUri },
        signInSession,
      ),
      'authorization_failed',
    );
    expect(data).toMatchObject({
      step: 'callback',
      xiaomiCode: 96012,
      xiaomiError: 'OA_ACCESS_DENIED',
    });
  });

  it('gives authorization_failed for a non-numeric error such as access_denied', async () => {
    const connector = await makeConnector();
    await expectConnectorError(
      connector.getUserInfo({ error: 'access_denied', redirectUri }, signInSession),
      'authorization_failed',
    );
  });

  it('gives invalid_config when Xiaomi redirects back with a redirect URI mismatch (96010)', async () => {
    const connector = await makeConnector();
    const data = await expectConnectorError(
      connector.getUserInfo({ error: '96010', redirectUri }, signInSession),
      'invalid_config',
    );
    expect(data.hint).toContain('/callback/');
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
    const connector = await makeConnector();
    await expectConnectorError(
      connector.getUserInfo(data, signInSession),
      'invalid_request_parameters',
    );
  });

  it('rejects a callback whose state differs from the one saved at step 1', async () => {
    const connector = await makeConnector();
    const data = await expectConnectorError(
      connector.getUserInfo({ ...accountCenterCallback, state: 'forged' }, signInSession),
      'invalid_request_parameters',
    );
    expect(data.hint).toContain('state');
  });

  it('prefers the redirect URI saved in the session over the posted one', async () => {
    const token = nock(accountHost)
      .post('/oauth2/token', (body: Record<string, string>) => body.redirect_uri === redirectUri)
      .reply(200, tokenBody());
    mockProfile();
    const connector = await makeConnector();
    await connector.getUserInfo(
      { ...callback, redirectUri: 'https://evil.example.com/cb' },
      signInSession,
    );
    expect(token.isDone()).toBe(true);
  });

  it('uses the posted redirect URI where getSession throws not_implemented', async () => {
    const token = nock(accountHost)
      .post(
        '/oauth2/token',
        (body: Record<string, string>) => body.redirect_uri === 'https://other.example.com/cb',
      )
      .reply(200, tokenBody());
    mockProfile();
    const connector = await makeConnector();
    await connector.getUserInfo(
      { ...callback, redirectUri: 'https://other.example.com/cb' },
      throwingGetSession,
    );
    expect(token.isDone()).toBe(true);
  });

  it('works when getSession throws not_implemented, as on Logto’s admin and "my account" APIs', async () => {
    mockToken();
    mockProfile();
    const connector = await makeConnector();
    await expect(connector.getUserInfo(callback, throwingGetSession)).resolves.toMatchObject({
      id: 'union-1',
    });
  });

  it('fails with a ConnectorError when neither the session nor the data has a redirect URI', async () => {
    const connector = await makeConnector();
    await expectConnectorError(
      connector.getUserInfo({ code: authorizationCode }, throwingGetSession),
      'invalid_request_parameters',
    );
  });
});
