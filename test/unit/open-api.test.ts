import { describe, expect, it } from 'vitest';

import {
  accessToken,
  clientId,
  envelope,
  expectConnectorError,
  profileData,
  redirectUri,
  sessionOf,
  signIn,
  tokenBody,
} from './fixtures.ts';
import { MemoryXiaomi, type Answer } from './memory-xiaomi.ts';

/** Xiaomi's token answer, granting `granted` (or no `scope` at all), then `answers`. */
const xiaomiGranting = (granted: string | undefined, answers: Partial<Record<string, Answer>>) => {
  const xiaomi = new MemoryXiaomi().answer('POST /oauth2/token', {
    body: tokenBody({ scope: granted }),
  });
  for (const [path, answer] of Object.entries(answers)) {
    xiaomi.answer(`GET /user/${path}`, answer!);
  }
  return xiaomi;
};

/** A sign-in that requested `scope` at step 1. */
const signInAsking = async (xiaomi: MemoryXiaomi, scope: string, timeoutMs?: number) =>
  signIn(xiaomi, { getSession: sessionOf({ redirectUri, state: 'state-1', scope }), timeoutMs });

const profile: Answer = { body: envelope(profileData) };
const justTheProfile = {
  id: 'union-1',
  name: 'Lei',
  avatar: profileData.miliaoIcon,
  rawData: profileData,
};

describe('Open API calls', () => {
  it('calls only user/profile for scope 1, with camelCase clientId and token', async () => {
    const xiaomi = xiaomiGranting('1', { profile });
    await expect(signInAsking(xiaomi, '1')).resolves.toEqual(justTheProfile);
    const calls = xiaomi.sent.filter(({ method }) => method === 'GET');
    expect(calls.map(({ url }) => `${url.origin}${url.pathname}`)).toEqual([
      'https://open.account.xiaomi.com/user/profile',
    ]);
    expect(Object.fromEntries(calls[0]!.url.searchParams)).toEqual({
      clientId,
      token: accessToken,
    });
  });

  // Each optional scope granted, unticked or never permitted, and the calls each makes: the
  // sign-ins over sockets, against the fake Xiaomi, which run the built lib/.
  it('returns email and phone when scopes 4 and 6 are granted', async () => {
    const xiaomi = xiaomiGranting('1 4 6', {
      profile,
      phoneAndEmail: { body: envelope({ phone: '+86 138 1234 5678', email: 'lei@example.com' }) },
    });
    await expect(signInAsking(xiaomi, '1 4 6')).resolves.toMatchObject({
      email: 'lei@example.com',
      phone: '8613812345678',
    });
  });

  it('uses the requested scopes when the token answer has no scope', async () => {
    const xiaomi = xiaomiGranting(undefined, {
      profile,
      openIdV2: { body: envelope({ openid: 'o' }) },
    });
    await expect(signInAsking(xiaomi, '1 3')).resolves.toMatchObject({ rawData: { openId: 'o' } });
  });

  it('makes the three calls at the same time, not one after another', async () => {
    const xiaomi = xiaomiGranting('1 3 4 6', {
      profile: { ...profile, delayMs: 20 },
      openIdV2: { body: envelope({ openid: 'o' }), delayMs: 20 },
      phoneAndEmail: { body: envelope({ phone: '', email: 'a@b.cn' }), delayMs: 20 },
    });
    await signInAsking(xiaomi, '1 3 4 6');
    expect(xiaomi.mostAtOnce).toBe(3);
  });

  it('never fails a sign-in because phoneAndEmail or openIdV2 fails', async () => {
    const xiaomi = xiaomiGranting('1 3 4 6', {
      profile,
      phoneAndEmail: {
        status: 403,
        body: { result: 'error', code: 96005, description: 'no permission' },
      },
    }).answer('GET /user/openIdV2', { status: 502, body: '<html>bad</html>' }, 2);
    await expect(signInAsking(xiaomi, '1 3 4 6')).resolves.toEqual(justTheProfile);
    expect(xiaomi.unused()).toEqual([]);
  });

  it('drops an optional call still unanswered 5% of the bound after the profile', async () => {
    const xiaomi = xiaomiGranting('1 3', { profile, openIdV2: 'stall' });
    const started = performance.now();
    await expect(signInAsking(xiaomi, '1 3', 2000)).resolves.toEqual(justTheProfile);
    // 5% of 2 s is 100 ms; the stalled call's own attempt limit would be 800 ms.
    expect(performance.now() - started).toBeLessThan(700);
  });

  it('abandons the optional calls when the profile fails', async () => {
    const xiaomi = xiaomiGranting('1 3', {
      profile: { body: { result: 'error', code: 96008, description: 'x' } },
      openIdV2: 'stall',
    });
    await expectConnectorError(signInAsking(xiaomi, '1 3'), 'social_invalid_access_token');
    expect(xiaomi.sentTo('GET /user/openIdV2')).toHaveLength(1);
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
    // Twice where the answer is broken: a body broken on the way is tried once more.
    const xiaomi = xiaomiGranting('1', {}).answer('GET /user/profile', { status, body }, 2);
    const data = await expectConnectorError(signInAsking(xiaomi, '1'), code);
    expect(data.step).toBe('profile');
  });

  it('never echoes the access token from an error description', async () => {
    const xiaomi = xiaomiGranting('1', {
      profile: {
        body: { result: 'error', code: 96008, description: `token ${accessToken} expired` },
      },
    });
    const data = await expectConnectorError(
      signInAsking(xiaomi, '1'),
      'social_invalid_access_token',
    );
    expect(data.xiaomiDescription).toBe('token [redacted] expired');
  });
});
