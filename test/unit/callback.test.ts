import nock from 'nock';
import { describe, expect, it } from 'vitest';

import {
  authorizationCode,
  callback,
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
  it('signs in from { code, state, redirectUri } as Logto posts it', async () => {
    mockToken();
    mockProfile();
    const connector = await makeConnector();
    await expect(connector.getUserInfo(callback, signInSession)).resolves.toMatchObject({
      id: 'union-1',
    });
  });

  it('gives authorization_failed when the user denies consent (96012)', async () => {
    const connector = await makeConnector();
    const data = await expectConnectorError(
      connector.getUserInfo(
        { error: '96012', error_description: 'user denied', state: 'state-1', redirectUri },
        signInSession,
      ),
      'authorization_failed',
    );
    expect(data.errorDescription).toContain('OA_ACCESS_DENIED');
    expect(data.errorDescription).toContain('user denied');
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
    expect(data.errorDescription).toContain('/callback/');
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
      connector.getUserInfo({ ...callback, state: 'forged' }, signInSession),
      'invalid_request_parameters',
    );
    expect(data.errorDescription).toContain('state');
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

  it('falls back to the posted redirect URI when getSession throws', async () => {
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

  it('works when getSession throws, as on Logto’s admin and account APIs', async () => {
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
      connector.getUserInfo({ code: authorizationCode }, sessionOf({})),
      'invalid_request_parameters',
    );
  });
});
