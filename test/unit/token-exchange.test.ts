import { describe, expect, it } from 'vitest';

import {
  answeringSignIn,
  authorizationCode,
  clientId,
  clientSecret,
  envelope,
  expectConnectorError,
  profileData,
  redirectUri,
  signIn,
  tokenBody,
} from './fixtures.ts';
import { MemoryXiaomi } from './memory-xiaomi.ts';

const answeringToken = (body: string, status = 200, times = 1) =>
  new MemoryXiaomi().answer('POST /oauth2/token', { status, body }, times);

describe('token exchange', () => {
  it('POSTs the code as a form body with client id, secret and redirect URI', async () => {
    const xiaomi = answeringSignIn();
    await signIn(xiaomi);
    const [token] = xiaomi.sentTo('POST /oauth2/token');
    expect(Object.fromEntries(token!.form!)).toEqual({
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uri: redirectUri,
      grant_type: 'authorization_code',
      code: authorizationCode,
    });
    expect(token!.url.search).toBe('');
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
    const xiaomi = answeringToken(body).answer('GET /user/profile', {
      body: envelope(profileData),
    });
    await expect(signIn(xiaomi)).resolves.toMatchObject({ id: 'union-1' });
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
    // The user consented before the code was issued: Xiaomi refused the app, not the user.
    [96012, 'invalid_config', 'status and its approved permissions'],
    [99999, 'general', 'does not list this code'],
  ])('maps Xiaomi error %j to %s with a hint for the admin', async (error, code, hint) => {
    const xiaomi = answeringToken(
      `&&&START&&&{"error":${JSON.stringify(error)},"error_description":"nope"}`,
    );
    const data = await expectConnectorError(signIn(xiaomi), code);
    expect(data.hint).toContain(hint);
    expect(data.step).toBe('token');
    expect(data.xiaomiDescription).toBe('nope');
  });

  it('never echoes the secret or the code, even when Xiaomi does', async () => {
    const xiaomi = answeringToken(
      `&&&START&&&{"error":96003,"error_description":"bad secret ${clientSecret} for code ${authorizationCode}"}`,
    );
    const data = await expectConnectorError(signIn(xiaomi), 'invalid_config');
    expect(data.xiaomiDescription).toBe('bad secret [redacted] for code [redacted]');
  });

  it.each([
    ['an HTML error page', 502, '<html><body>Bad Gateway</body></html>', 'HTML'],
    ['an empty body', 200, '', 'empty body'],
    ['garbage', 200, '&&&START&&&{"access_tok', 'not a JSON object'],
    ['a JSON array', 200, '[1,2]', 'not a JSON object'],
    ['no access_token', 200, '&&&START&&&{"expires_in":1}', 'no access_token'],
    ['a token with a 500 status', 500, tokenBody(), 'error status'],
  ])('reports %s as invalid_response, after trying once more', async (_, status, body, reason) => {
    // An answer broken before it reached the connector is tried once more.
    const xiaomi = answeringToken(body, status, 2);
    const data = await expectConnectorError(signIn(xiaomi), 'invalid_response');
    expect(data.hint).toContain(reason);
    expect(xiaomi.unused()).toEqual([]);
  });
});
