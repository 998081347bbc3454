import { describe, expect, it } from 'vitest';

import { createNonce, macAuthorization, macText } from '../../src/xiaomi.ts';
import {
  accessToken,
  answeringSignIn,
  baseConfig,
  clientId,
  expectConnectorError,
  signIn,
  tokenBody,
} from './fixtures.ts';
import { MemoryXiaomi } from './memory-xiaomi.ts';

// Vectors computed outside this code, with:
//   printf '%s\n' NONCE GET HOST PATH QUERY | openssl dgst -sha1 -hmac KEY -binary | base64
const vectors = [
  {
    key: 'mAcKeY-123',
    nonce: '-2270937946183394361:29882400',
    host: 'open.account.xiaomi.com',
    path: '/user/profile',
    query: new URLSearchParams({ token: 'V3_abc/def+ghi=', clientId: '2882303761520000001' }),
    mac: 'Fwi6O/7BJYA0S7Zsh2iACVQEfGo=',
  },
  {
    key: 'k',
    nonce: '42:29882401',
    host: '127.0.0.1:8080',
    path: '/user/phoneAndEmail',
    query: new URLSearchParams({ token: 't', b: '', clientId: '9', a: '1' }),
    mac: 'jtQp+G+8SLBI2s7l2nW2gp976FU=',
  },
];

describe('MAC signatures', () => {
  it.each(vectors)('matches openssl’s HMAC-SHA1 for $path on $host', (vector) => {
    const header = macAuthorization(
      'TOKEN',
      vector.key,
      { method: 'GET', host: vector.host, path: vector.path, query: vector.query },
      vector.nonce,
    );
    expect(header).toBe(`MAC access_token="TOKEN", nonce="${vector.nonce}", mac="${vector.mac}"`);
  });

  it('signs five lines, each ending in a newline, with the query sorted and empties left out', () => {
    const { nonce, host, path, query } = vectors[1]!;
    expect(macText(nonce, { method: 'GET', host, path, query })).toBe(
      '42:29882401\nGET\n127.0.0.1:8080\n/user/phoneAndEmail\na=1&clientId=9&token=t\n',
    );
  });

  it('makes nonces of a random 64-bit integer and the Unix time in minutes', () => {
    const nonce = createNonce(1_792_944_000_000);
    expect(nonce).toMatch(/^-?\d{1,19}:29882400$/);
    expect(createNonce(0)).not.toBe(createNonce(0));
  });

  it('sends an Authorization: MAC header on Open API calls when the switch is on', async () => {
    const xiaomi = answeringSignIn({ mac_key: 'mAcKeY-123' });
    await signIn(xiaomi, { config: { ...baseConfig, macSignature: true } });
    const authorization = xiaomi.sentTo('GET /user/profile')[0]?.headers.authorization ?? '';
    const nonce = /nonce="([^"]+)"/.exec(authorization)?.[1] ?? '';
    expect(authorization).toBe(
      macAuthorization(
        accessToken,
        'mAcKeY-123',
        {
          method: 'GET',
          host: 'open.account.xiaomi.com',
          path: '/user/profile',
          query: new URLSearchParams({ clientId, token: accessToken }),
        },
        nonce,
      ),
    );
  });

  it('sends no Authorization header when the switch is off', async () => {
    const xiaomi = answeringSignIn();
    await signIn(xiaomi);
    expect(xiaomi.sentTo('GET /user/profile')[0]?.headers).toEqual({});
  });

  it('fails with invalid_response when signing is on but the token has no mac_key', async () => {
    const xiaomi = new MemoryXiaomi().answer('POST /oauth2/token', {
      body: tokenBody({ mac_key: undefined }),
    });
    const data = await expectConnectorError(
      signIn(xiaomi, { config: { ...baseConfig, macSignature: true } }),
      'invalid_response',
    );
    expect(data.hint).toContain('mac_key');
  });
});
