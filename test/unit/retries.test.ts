/**
 * When a Xiaomi call is tried again, and how long an operation may take (src/xiaomi.ts,
 * src/operation.ts), in memory: the transport seam fails requests the ways http.ts reports them.
 * The same rules over real sockets, with the fake's faults: test/real-networks.test.ts.
 */
import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';
import { describe, expect, it } from 'vitest';

import { createXiaomiConnector } from '../../src/index.ts';

import {
  authorizationRequest,
  baseConfig,
  callback,
  envelope,
  expectConnectorError,
  makeConnector,
  profileData,
  redirectUri,
  refreshTokenValue,
  signIn,
  signInSession,
  tokenBody,
} from './fixtures.ts';
import { MemoryXiaomi, type Answer } from './memory-xiaomi.ts';

const token: Answer = { body: tokenBody() };
const profile: Answer = { body: envelope(profileData) };
const staleConnection: Answer = { fails: 'ECONNRESET', reached: true, stale: true };
const resetAfterSending: Answer = { fails: 'ECONNRESET', reached: true };
const refused: Answer = { fails: 'ECONNREFUSED', reached: false };
const codeSpent: Answer = { body: '&&&START&&&{"error":96013,"error_description":"used"}' };

describe('a second attempt', () => {
  it.each([
    ['a connection dropped while idle', staleConnection],
    ['a connection reset after the request was sent', resetAfterSending],
    ['a refused connection', refused],
    ['a gateway’s 502 page', { status: 502, body: '<html>Bad Gateway</html>' } as Answer],
  ])('signs the user in after %s on the code exchange, on a new connection', async (_, first) => {
    const xiaomi = new MemoryXiaomi()
      .answer('POST /oauth2/token', first)
      .answer('POST /oauth2/token', token)
      .answer('GET /user/profile', profile);
    await expect(signIn(xiaomi)).resolves.toMatchObject({ id: 'union-1' });
    expect(xiaomi.sentTo('POST /oauth2/token').map(({ ownConnection }) => ownConnection)).toEqual([
      false,
      true,
    ]);
  });

  it('signs the user in after a profile call on a dropped connection', async () => {
    const xiaomi = new MemoryXiaomi()
      .answer('POST /oauth2/token', token)
      .answer('GET /user/profile', staleConnection)
      .answer('GET /user/profile', profile);
    await expect(signIn(xiaomi)).resolves.toMatchObject({ id: 'union-1' });
  });

  it('reports the lost answer, not the 96013 its own redeemed code caused', async () => {
    const xiaomi = new MemoryXiaomi()
      .answer('POST /oauth2/token', resetAfterSending)
      .answer('POST /oauth2/token', codeSpent);
    const data = await expectConnectorError(signIn(xiaomi), 'general');
    expect(data.hint).toContain('could not be reached');
    expect(data.hint).toContain('ECONNRESET');
  });

  it.each([
    ['a Xiaomi error code', codeSpent, 'social_auth_code_invalid'],
    ['HTTP 429', { status: 429, body: 'slow down' } as Answer, 'rate_limit_exceeded'],
    ['a 4xx page', { status: 403, body: '<html>Forbidden</html>' } as Answer, 'invalid_response'],
  ])('is never made after %s: Xiaomi’s verdict is final', async (_, answer, code) => {
    const xiaomi = new MemoryXiaomi().answer('POST /oauth2/token', answer);
    await expectConnectorError(signIn(xiaomi), code);
    expect(xiaomi.sentTo('POST /oauth2/token')).toHaveLength(1);
  });

  it('is never made for a profile call Xiaomi refused with one of its codes', async () => {
    const refusedToken = { result: 'error', description: 'invalid token', code: 96009 };
    const xiaomi = new MemoryXiaomi()
      .answer('POST /oauth2/token', token)
      .answer('GET /user/profile', { body: refusedToken });
    await expectConnectorError(signIn(xiaomi), 'social_invalid_access_token');
    expect(xiaomi.sentTo('GET /user/profile')).toHaveLength(1);
  });

  it.each([
    ['is not made for a refresh Xiaomi may have read: its token works once', resetAfterSending, 1],
    ['is made for a refresh Xiaomi cannot have read', refused, 2],
  ])('%s', async (_, first, requests) => {
    const xiaomi = new MemoryXiaomi()
      .answer('POST /oauth2/token', first)
      .answer('POST /oauth2/token', first);
    const connector = await makeConnector(xiaomi, { ...baseConfig, redirectUri });
    const refresh = connector.getAccessTokenByRefreshToken!(refreshTokenValue);
    const data = await expectConnectorError(refresh, 'general');
    expect(data.step).toBe('refresh');
    expect(xiaomi.sentTo('POST /oauth2/token')).toHaveLength(requests);
  });
});

describe('the time an operation may take', () => {
  it('gives a stalled token exchange 40% of the bound, then tries once more', async () => {
    const xiaomi = new MemoryXiaomi()
      .answer('POST /oauth2/token', 'stall')
      .answer('POST /oauth2/token', token)
      .answer('GET /user/profile', profile);
    await expect(signIn(xiaomi, { timeoutMs: 500 })).resolves.toMatchObject({ id: 'union-1' });
  });

  it('fails a sign-in whose token exchange stalls twice with general, saying it timed out', async () => {
    const xiaomi = new MemoryXiaomi().answer('POST /oauth2/token', 'stall', 2);
    const data = await expectConnectorError(signIn(xiaomi, { timeoutMs: 300 }), 'general');
    expect(data.hint).toContain('timed out');
  });

  // What Logto does when its database hangs: the callback's promise never settles.
  const never = async () => new Promise<never>(() => undefined);
  it.each([
    ['getUserInfo', 'getConfig'],
    ['getUserInfo', 'getSession'],
    ['getAuthorizationUri', 'getConfig'],
    ['getAuthorizationUri', 'setSession'],
  ])('bounds %s’s call of Logto’s own %s, and names the bound', async (method, name) => {
    const xiaomi = new MemoryXiaomi();
    const connector = await createXiaomiConnector({ send: xiaomi.send, timeoutMs: 250 })({
      getConfig: name === 'getConfig' ? never : async () => baseConfig,
    });
    const data = await expectConnectorError(
      method === 'getUserInfo'
        ? connector.getUserInfo(callback, name === 'getSession' ? never : signInSession)
        : connector.getAuthorizationUri(
            authorizationRequest,
            name === 'setSession' ? never : async () => undefined,
          ),
      'general',
    );
    expect(data.hint).toContain(`${name} in time (the 0.25 s every sign-in has)`);
    expect(xiaomi.sent).toEqual([]);
  });

  it('passes on a ConnectorError Logto’s own callback threw, as it is', async () => {
    const thrown = new ConnectorError(ConnectorErrorCodes.General, { errorDescription: 'host' });
    const connector = await createXiaomiConnector({ send: new MemoryXiaomi().send })({
      getConfig: async () => {
        throw thrown;
      },
    });
    await expect(connector.getUserInfo(callback, signInSession)).rejects.toBe(thrown);
  });
});
