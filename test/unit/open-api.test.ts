import nock from 'nock';
import { describe, expect, it } from 'vitest';

import {
  accessToken,
  callback,
  clientId,
  envelope,
  expectConnectorError,
  makeConnector,
  profileData,
  sessionOf,
  tokenBody,
} from './fixtures.ts';
import { mockProfile, mockToken, openApiHost } from './nock.ts';

const query = { clientId, token: accessToken };

const signIn = async (requested: string, granted?: string) => {
  mockToken(tokenBody(granted === undefined ? { scope: undefined } : { scope: granted }));
  const connector = await makeConnector();
  return connector.getUserInfo(
    callback,
    sessionOf({ redirectUri: callback.redirectUri, state: 'state-1', scope: requested }),
  );
};

const mockOpenId = () =>
  nock(openApiHost)
    .get('/user/openIdV2')
    .query(query)
    .reply(200, envelope({ openid: 'oid-9' }));

const mockPhoneAndEmail = (data: Record<string, unknown>) =>
  nock(openApiHost).get('/user/phoneAndEmail').query(query).reply(200, envelope(data));

describe('Open API calls', () => {
  it('calls only user/profile for scope 1, with camelCase clientId and token', async () => {
    const profile = mockProfile();
    await expect(signIn('1', '1')).resolves.toEqual({
      id: 'union-1',
      name: 'Lei',
      avatar: profileData.miliaoIcon,
      rawData: profileData,
    });
    expect(profile.isDone()).toBe(true);
  });

  // Each optional scope granted, unticked or never permitted, and the calls each makes: e2e.test.ts,
  // against the fake Xiaomi, which runs the built lib/. This one stays for src/'s coverage (a
  // phoneAndEmail call without openIdV2) and for a phone Xiaomi writes with spaces.
  it('returns email and phone when scopes 4 and 6 are granted', async () => {
    mockProfile();
    mockPhoneAndEmail({ phone: '+86 138 1234 5678', email: 'lei@example.com' });
    const user = await signIn('1 4 6', '1 4 6');
    expect(user).toMatchObject({ email: 'lei@example.com', phone: '8613812345678' });
  });

  it('uses the requested scopes when the token answer has no scope', async () => {
    mockProfile();
    const openId = mockOpenId();
    await signIn('1 3');
    expect(openId.isDone()).toBe(true);
  });

  it('makes the three calls in parallel, not one after another', async () => {
    const delay = 150;
    nock(openApiHost)
      .get('/user/profile')
      .query(query)
      .delay(delay)
      .reply(200, envelope(profileData));
    nock(openApiHost)
      .get('/user/openIdV2')
      .query(query)
      .delay(delay)
      .reply(200, envelope({ openid: 'o' }));
    nock(openApiHost)
      .get('/user/phoneAndEmail')
      .query(query)
      .delay(delay)
      .reply(200, envelope({ phone: '', email: 'a@b.cn' }));
    const started = Date.now();
    await signIn('1 3 4 6', '1 3 4 6');
    expect(Date.now() - started).toBeLessThan(delay * 2.5);
  });

  it('never fails a sign-in because phoneAndEmail or openIdV2 fails', async () => {
    mockProfile();
    nock(openApiHost)
      .get('/user/phoneAndEmail')
      .query(query)
      .reply(403, { result: 'error', code: 96005, description: 'no permission' });
    nock(openApiHost).get('/user/openIdV2').query(query).times(2).reply(502, '<html>bad</html>');
    const user = await signIn('1 3 4 6', '1 3 4 6');
    expect(user).toEqual({
      id: 'union-1',
      name: 'Lei',
      avatar: profileData.miliaoIcon,
      rawData: profileData,
    });
  });

  it.each([
    [
      'an error envelope with HTTP 200',
      200,
      { result: 'error', code: 96008, description: 'x' },
      'social_invalid_access_token',
    ],
    [
      'an error envelope with HTTP 401',
      401,
      { result: 'error', code: '96008', description: 'x' },
      'social_invalid_access_token',
    ],
    [
      'an error envelope with HTTP 403',
      403,
      { result: 'error', code: 96005, description: 'x' },
      'invalid_config',
    ],
    ['result error without a code', 200, { result: 'error', description: 'x' }, 'invalid_response'],
    ['an envelope without data', 200, { result: 'ok', code: 0 }, 'invalid_response'],
    ['data without unionId', 200, envelope({ miliaoNick: 'x' }), 'invalid_response'],
    ['data with an empty unionId', 200, envelope({ unionId: ' ' }), 'invalid_response'],
    ['HTTP 404 with a valid envelope', 404, envelope(profileData), 'invalid_response'],
  ])('fails the sign-in when user/profile answers %s', async (_, status, body, code) => {
    // Twice: a body broken on the way is tried once more.
    nock(openApiHost).get('/user/profile').query(query).times(2).reply(status, body);
    const data = await expectConnectorError(signIn('1', '1'), code);
    expect(data.step).toBe('profile');
  });

  it('never echoes the access token from an error description', async () => {
    nock(openApiHost)
      .get('/user/profile')
      .query(query)
      .reply(200, { result: 'error', code: 96008, description: `token ${accessToken} expired` });
    const data = await expectConnectorError(signIn('1', '1'), 'social_invalid_access_token');
    expect(data.xiaomiDescription).toBe('token [redacted] expired');
  });
});
