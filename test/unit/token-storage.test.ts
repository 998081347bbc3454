import { describe, expect, it } from 'vitest';

import { metadata } from '../../src/constant.ts';
import {
  accessToken,
  baseConfig,
  callback,
  clientId,
  clientSecret,
  expectConnectorError,
  makeConnector,
  redirectUri,
  refreshTokenValue,
  signInSession,
  tokenBody,
  answeringSignIn,
} from './fixtures.ts';
import { MemoryXiaomi } from './memory-xiaomi.ts';

/** Logto asking for new tokens with `refreshToken`, Xiaomi answering as `xiaomi` does. */
const refresh = async (
  xiaomi: MemoryXiaomi,
  refreshToken = refreshTokenValue,
  config: unknown = { ...baseConfig, redirectUri },
) => (await makeConnector(xiaomi, config)).getAccessTokenByRefreshToken!(refreshToken);

describe('token storage', () => {
  it('tells the console that token storage is supported', () => {
    expect(metadata.isTokenStorageSupported).toBe(true);
  });

  it('returns the token response beside the user info', async () => {
    const connector = await makeConnector(answeringSignIn({ scope: '1 16000' }));
    const result = await connector.getTokenResponseAndUserInfo!(callback, signInSession);
    expect(result).toEqual({
      tokenResponse: {
        access_token: accessToken,
        refresh_token: refreshTokenValue,
        expires_in: 7_776_000,
        scope: '1 16000',
        token_type: 'mac',
      },
      userInfo: expect.objectContaining({ id: 'union-1' }),
    });
    expect(JSON.stringify(result.userInfo)).not.toContain(accessToken);
  });

  it('refreshes with the configured redirect URI and hands back the new refresh token', async () => {
    const xiaomi = new MemoryXiaomi().answer('POST /oauth2/token', {
      body: tokenBody({ access_token: 'NEW-ACCESS', refresh_token: 'NEW-REFRESH' }),
    });
    await expect(refresh(xiaomi)).resolves.toMatchObject({
      access_token: 'NEW-ACCESS',
      refresh_token: 'NEW-REFRESH',
    });
    const [sent] = xiaomi.sentTo('POST /oauth2/token');
    expect(Object.fromEntries(sent!.form!)).toEqual({
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uri: redirectUri,
      grant_type: 'refresh_token',
      refresh_token: refreshTokenValue,
    });
    // A refresh token works once: never on a reused connection, whose failure cannot tell.
    expect(sent!.ownConnection).toBe(true);
  });

  it('asks the admin to set Redirect URI when it is missing', async () => {
    const data = await expectConnectorError(
      refresh(new MemoryXiaomi(), refreshTokenValue, baseConfig),
      'invalid_config',
    );
    expect(data.hint).toContain('Redirect URI');
  });

  it('rejects an empty refresh token without calling Xiaomi', async () => {
    const xiaomi = new MemoryXiaomi();
    await expectConnectorError(refresh(xiaomi, ''), 'invalid_request_parameters');
    expect(xiaomi.sent).toEqual([]);
  });

  it('reports a used or expired refresh token (96009) clearly, without echoing it', async () => {
    const xiaomi = new MemoryXiaomi().answer('POST /oauth2/token', {
      body: `&&&START&&&{"error":96009,"error_description":"refresh token ${refreshTokenValue} used"}`,
    });
    const data = await expectConnectorError(refresh(xiaomi), 'social_invalid_access_token');
    expect(data.xiaomiError).toBe('OA_INVALID_REFRESHTOKEN');
    expect(data.errorDescription).toContain('sign in with Xiaomi again');
    expect(data.step).toBe('refresh');
  });

  it('keeps a refresh token Xiaomi echoes in its error field out of the error', async () => {
    const xiaomi = new MemoryXiaomi().answer('POST /oauth2/token', {
      body: `&&&START&&&{"error":"bad refresh_token ${refreshTokenValue}"}`,
    });
    const data = await expectConnectorError(refresh(xiaomi), 'general');
    expect(data).toMatchObject({ step: 'refresh' });
    expect(data).not.toHaveProperty('xiaomiCode');
  });
});
