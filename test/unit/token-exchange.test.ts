import nock from 'nock';
import { describe, expect, it } from 'vitest';

import {
  authorizationCode,
  callback,
  clientId,
  clientSecret,
  expectConnectorError,
  makeConnector,
  redirectUri,
  signInSession,
  tokenBody,
} from './fixtures.ts';
import { accountHost, mockProfile, mockToken } from './nock.ts';

const signIn = async () => (await makeConnector()).getUserInfo(callback, signInSession);

describe('token exchange', () => {
  it('POSTs the code as a form body with client id, secret and redirect URI', async () => {
    let contentType: string | undefined;
    const token = nock(accountHost)
      .post('/oauth2/token', {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uri: redirectUri,
        grant_type: 'authorization_code',
        code: authorizationCode,
      })
      .reply(function () {
        contentType = String(this.req.headers['content-type']);
        return [200, tokenBody()];
      });
    mockProfile();
    await signIn();
    expect(token.isDone()).toBe(true);
    expect(contentType).toBe('application/x-www-form-urlencoded');
  });

  it.each([
    ['the &&&START&&& prefix', tokenBody()],
    ['the prefix followed by whitespace', tokenBody().replace('&&&START&&&', '&&&START&&&\n  ')],
    ['no prefix at all', tokenBody().replace('&&&START&&&', '')],
    ['a BOM and surrounding whitespace', `\uFEFF  ${tokenBody()}  \n`],
    ['keys with stray spaces', tokenBody().replace('"access_token"', '"access_token "')],
    ['only access_token', `&&&START&&&{"access_token":"ACCESS-TOKEN-0123456789"}`],
    // expires_in as a numeric string: xiaomi.test.ts, with the other decoding of fields.
  ])('accepts a token body with %s', async (_, body) => {
    mockToken(body);
    mockProfile();
    await expect(signIn()).resolves.toMatchObject({ id: 'union-1' });
  });

  it.each([
    [96013, 'social_auth_code_invalid', 'OA_INVALID_CODE'],
    ['96013', 'social_auth_code_invalid', 'OA_INVALID_CODE'],
    [96004, 'social_auth_code_invalid', 'OA_INVALID_GRANT'],
    [96001, 'invalid_config', 'Client ID'],
    [96003, 'invalid_config', 'Client Secret'],
    [96010, 'invalid_config', 'redirect URI'],
    [96007, 'invalid_config', 'Scope'],
    [96005, 'invalid_config', 'permission'],
    [96002, 'general', 'OA_INVALID_REQUEST'],
    [96006, 'general', 'OA_UNSUPPORTED_GRANT_TYPE'],
    [96011, 'general', 'OA_UNSUPPORTED_RESPONSE_TYPE'],
    [96012, 'authorization_failed', 'OA_ACCESS_DENIED'],
    [99999, 'general', 'does not list this code'],
  ])('maps Xiaomi error %j to %s with a hint for the admin', async (error, code, hint) => {
    mockToken(`&&&START&&&{"error":${JSON.stringify(error)},"error_description":"nope"}`);
    const data = await expectConnectorError(signIn(), code);
    expect(data.hint).toContain(hint);
    expect(data.step).toBe('token');
    expect(data.xiaomiDescription).toBe('nope');
  });

  it('never echoes the secret or the code, even when Xiaomi does', async () => {
    mockToken(
      `&&&START&&&{"error":96003,"error_description":"bad secret ${clientSecret} for code ${authorizationCode}"}`,
    );
    const data = await expectConnectorError(signIn(), 'invalid_config');
    expect(data.xiaomiDescription).toBe('bad secret [redacted] for code [redacted]');
  });

  it.each([
    ['an HTML error page', 502, '<html><body>Bad Gateway</body></html>', 'HTML'],
    ['an empty body', 200, '', 'empty body'],
    ['garbage', 200, '&&&START&&&{"access_tok', 'not a JSON object'],
    ['a JSON array', 200, '[1,2]', 'not a JSON object'],
    ['no access_token', 200, '&&&START&&&{"expires_in":1}', 'no access_token'],
    ['a token with a 500 status', 500, tokenBody(), 'error status'],
  ])('reports %s as invalid_response', async (_, status, body, reason) => {
    // Twice: an answer broken before it reached the connector is tried once more.
    nock(accountHost).post('/oauth2/token').times(2).reply(status, body);
    const data = await expectConnectorError(signIn(), 'invalid_response');
    expect(data.hint).toContain(reason);
  });
});
