/**
 * The fake Xiaomi itself: that it answers as Xiaomi does and that its faults are what they claim,
 * for what the demo, the benchmark and the other tests rely on. What a sign-in already shows of
 * the fake is left to the tests that would fail without it: a code works once and for five
 * minutes, refresh tokens once each, only the ticked scopes are granted, a signed call passes and
 * an unsigned one does not, resets before and after Xiaomi's logic (e2e.test.ts); stalls,
 * answers that stop half-way, kept-alive connections, the client port (real-networks.test.ts);
 * HTTPS under xiaomi.invalid (proxy.test.ts); answers that never end (hostile-input.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';

import type { FakeXiaomi, FakeXiaomiOptions } from '../../fakes/xiaomi/index.ts';
import {
  ManualClock,
  macAuthorization,
  seededRandom,
  startFakeXiaomi,
} from '../../fakes/xiaomi/index.ts';
import { Agent, request as httpRequest } from 'node:http';

import { plainRequest, postForm } from '../../fakes/network/http-client.ts';
import { passConsent } from '../../fakes/user/scripted-user.ts';

const redirectUri = 'https://logto.example.com/callback/xiaomi';
const otherApp = { clientId: '2882303761520000002', redirectUris: [redirectUri] };
let fake: FakeXiaomi;

const start = async (options: FakeXiaomiOptions = {}) => {
  fake = await startFakeXiaomi({ apps: [{ redirectUris: [redirectUri] }], ...options });
  return fake;
};

afterEach(async () => {
  await fake.close();
});

const authorizeUrl = (params: Record<string, string> = {}) => {
  const url = new URL(fake.endpoints.authorize);
  url.search = new URLSearchParams({
    client_id: fake.app.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: '1 3 4 6',
    state: 'st4te',
    ...params,
  }).toString();
  return url.href;
};

const codeFor = async (params: Record<string, string> = {}, scopes?: number[]) => {
  const outcome = await passConsent(authorizeUrl(params), {
    decision: 'allow',
    ...(scopes ? { scopes } : {}),
  });
  if (outcome.kind !== 'redirected' || !outcome.query['code']) {
    throw new Error(`no code: ${JSON.stringify(outcome)}`);
  }
  return outcome.query['code'];
};

const tokenForm = (fields: Record<string, string>) =>
  new URLSearchParams({
    client_id: fake.app.clientId,
    client_secret: fake.app.clientSecret,
    redirect_uri: redirectUri,
    grant_type: 'authorization_code',
    ...fields,
  });

/** Xiaomi's token body: the literal prefix, then JSON. */
const readTokenBody = (body: string): Record<string, unknown> => {
  expect(body.startsWith('&&&START&&&')).toBe(true);
  return JSON.parse(body.slice('&&&START&&&'.length)) as Record<string, unknown>;
};

const exchange = async (fields: Record<string, string>) =>
  readTokenBody((await postForm(fake.endpoints.token, tokenForm(fields))).body);

const openApi = async (path: string, token: string, headers: Record<string, string> = {}) => {
  const response = await plainRequest(
    `${fake.endpoints.openApi}${path}?clientId=${fake.app.clientId}&token=${encodeURIComponent(token)}`,
    { headers },
  );
  return {
    status: response.status,
    envelope: JSON.parse(response.body) as Record<string, unknown>,
  };
};

const accessTokenFor = async (scopes?: number[]) =>
  String((await exchange({ code: await codeFor({}, scopes) })).access_token);

describe('the authorize page', () => {
  it.each([
    ['the requested scopes the app is permitted, naming the others', '1 3 6', 6, true],
    // Xiaomi's docs do not say what a request without `scope` gets; the fake's choice.
    ['every scope the app is permitted when the request names none', undefined, 4, false],
  ])('offers %s', async (_, scope, hidden, named) => {
    await start();
    fake.setApp({ permittedScopes: [1, 3] });
    const url = new URL(authorizeUrl(scope === undefined ? {} : { scope }));
    if (scope === undefined) {
      url.searchParams.delete('scope');
    }
    const page = await plainRequest(url.href);
    expect(page.status).toBe(200);
    expect(page.body).toContain('value="1" checked');
    expect(page.body).toContain('value="3" checked');
    expect(page.body).not.toContain(`name="scope" value="${hidden}"`);
    expect(page.body.includes(`Not available to this app: ${hidden}`)).toBe(named);
  });

  it.each([
    ['a code and the same state when the user allows', {}, 'allow', { code: /^C3_/ }],
    [
      'error 96012 and the state when the user denies',
      {},
      'deny',
      { error: '96012', error_description: 'access denied' },
    ],
    [
      'error 96007 for a scope id outside Xiaomi’s scope table',
      { scope: '1 5' },
      'allow',
      { error: '96007' },
    ],
    [
      'error 96011 when response_type is not code',
      { response_type: 'token' },
      'allow',
      { error: '96011' },
    ],
  ] as const)('sends the browser back to the app with %s', async (_, params, decision, query) => {
    await start();
    const outcome = await passConsent(authorizeUrl(params), { decision });
    expect(outcome).toMatchObject({ kind: 'redirected', query: { state: 'st4te' } });
    if (outcome.kind === 'redirected') {
      expect(outcome.location.origin + outcome.location.pathname).toBe(redirectUri);
      for (const [key, value] of Object.entries(query)) {
        expect(outcome.query[key]).toMatch(value);
      }
    }
  });

  it.each([
    ['96001 for an unknown client', { client_id: '999' }, {}, 96001],
    ['96001 for an app whose account service is off', {}, { accountServiceEnabled: false }, 96001],
    [
      '96010 for a redirect URI that is not registered',
      { redirect_uri: 'https://evil.example.com/callback/xiaomi' },
      {},
      96010,
    ],
  ])('stops on error page %s', async (_, params, app, xiaomiCode) => {
    await start();
    fake.setApp(app);
    expect(await passConsent(authorizeUrl(params), { decision: 'allow' })).toEqual({
      kind: 'refused',
      status: 400,
      xiaomiCode,
    });
  });

  it('lets the user pick an account unless skip_confirm is true', async () => {
    await start({ users: [{ userId: '1' }, { userId: '2', nickname: 'Second' }] });
    expect((await plainRequest(authorizeUrl())).body).toContain('type="radio"');
    expect((await plainRequest(authorizeUrl({ skip_confirm: 'true' }))).body).not.toContain(
      'type="radio"',
    );
  });
});

describe('the token endpoint', () => {
  it('answers a code with the &&&START&&& prefix, a mac token, the granted scope and union_id', async () => {
    await start();
    const body = await exchange({ code: await codeFor() });
    expect(body).toMatchObject({
      expires_in: 7_776_000,
      scope: '1 3 4 6',
      token_type: 'mac',
      mac_algorithm: 'HmacSha1',
      union_id: fake.user.unionId,
    });
    expect(body.access_token).toMatch(/^V3_/);
    expect(body.refresh_token).toMatch(/^R3_/);
    expect(typeof body.mac_key).toBe('string');
    expect(typeof body.openId).toBe('string');
  });

  it('answers errors with HTTP 200 and a text/html content type', async () => {
    await start();
    const response = await postForm(fake.endpoints.token, tokenForm({ code: 'nope' }));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(readTokenBody(response.body)).toEqual({
      error: 96013,
      error_description: 'code is invalid, expired or already used',
    });
  });

  it('accepts the documented GET with query parameters as well as POST', async () => {
    await start();
    const code = await codeFor();
    const response = await plainRequest(
      `${fake.endpoints.token}?${tokenForm({ code }).toString()}`,
    );
    expect(readTokenBody(response.body).access_token).toMatch(/^V3_/);
  });

  it.each([
    ['an unknown client_id', { client_id: '42' }, 96001],
    ['a wrong client_secret', { client_secret: 'wrong' }, 96003],
    ['an unregistered redirect_uri', { redirect_uri: 'https://other.example.com/cb' }, 96010],
    ['an unsupported grant_type', { grant_type: 'password' }, 96006],
    ['a missing code', { code: '' }, 96002],
    // The second app has the default secret too.
    ['a code issued to another app', { client_id: otherApp.clientId }, 96004],
  ])('refuses %s with %s', async (_, fields, error) => {
    await start({ apps: [{ redirectUris: [redirectUri] }, otherApp] });
    expect((await exchange({ code: await codeFor(), ...fields })).error).toBe(error);
  });

  // Xiaomi's docs do not say; the fake's choice, on which the retry rule's 96013 case rests.
  it('spends a code on the first exchange that passes client authentication, even one that then fails', async () => {
    const other = 'https://logto.example.com/callback/other';
    await start({ apps: [{ redirectUris: [redirectUri, other] }] });
    const code = await codeFor();
    expect((await exchange({ code, redirect_uri: other })).error).toBe(96010);
    expect((await exchange({ code })).error).toBe(96013);
  });

  it('reproduces the documented quirks: whitespace after the prefix, spaced keys, string codes', async () => {
    await start({ quirks: { prefixPadding: ' \n ', spacedKeys: true, stringErrorCodes: true } });
    const ok = (await postForm(fake.endpoints.token, tokenForm({ code: await codeFor() }))).body;
    expect(ok).toMatch(/^&&&START&&& \n \{/);
    expect(ok).toContain('"token_type ":"mac"');
    const refused = (await postForm(fake.endpoints.token, tokenForm({ code: 'x' }))).body;
    expect(refused).toContain('"error":"96013"');
  });
});

describe('the Open API', () => {
  it('wraps the profile in the ok envelope with unionId, nickname and avatar sizes', async () => {
    await start();
    const { status, envelope } = await openApi('/user/profile', await accessTokenFor());
    expect(status).toBe(200);
    expect(envelope).toMatchObject({ result: 'ok', description: 'success', code: 0 });
    expect(envelope.data).toMatchObject({
      unionId: fake.user.unionId,
      miliaoNick: fake.user.nickname,
      miliaoIcon: fake.user.icon,
      miliaoIcon_320: fake.user.icon,
    });
  });

  it('answers both spellings, openidV2 and openIdV2, with the per-app openid', async () => {
    await start();
    const token = await accessTokenFor();
    const lower = await openApi('/user/openidV2', token);
    const upper = await openApi('/user/openIdV2', token);
    expect(lower.envelope.data).toEqual(upper.envelope.data);
    expect((lower.envelope.data as { openid: string }).openid).toHaveLength(24);
  });

  it('answers an empty string for a phone or email whose scope was not granted', async () => {
    await start();
    const { envelope } = await openApi('/user/phoneAndEmail', await accessTokenFor([1, 6]));
    expect(envelope.data).toEqual({ phone: '', email: fake.user.email });
  });

  it('refuses a call whose scope was not granted with 96007 and HTTP 403', async () => {
    await start();
    const { status, envelope } = await openApi('/user/phoneAndEmail', await accessTokenFor([1]));
    expect(status).toBe(403);
    expect(envelope).toMatchObject({ result: 'error', code: 96007 });
  });

  it('refuses an unknown or expired access token with 96008 and HTTP 401', async () => {
    const clock = new ManualClock();
    await start({ now: clock.now });
    expect(await openApi('/user/profile', 'V3_unknown')).toMatchObject({
      status: 401,
      envelope: { code: 96008 },
    });
    const token = await accessTokenFor();
    clock.advance(91 * 24 * 3600 * 1000);
    expect((await openApi('/user/profile', token)).envelope.code).toBe(96008);
  });

  it('refuses a call without clientId or token with 96002', async () => {
    await start();
    const response = await plainRequest(`${fake.endpoints.openApi}/user/profile?token=x`);
    expect(JSON.parse(response.body)).toMatchObject({ result: 'error', code: 96002 });
  });

  // A signed call accepted and an unsigned one refused: e2e.test.ts, "MAC-signed Open API calls".
  it('refuses, for an app that requires MAC, a wrong key, a replayed nonce and a nonce older than five minutes with 96012', async () => {
    await start({ apps: [{ redirectUris: [redirectUri], requireMac: true }] });
    const body = await exchange({ code: await codeFor() });
    const token = String(body.access_token);
    const query = new URLSearchParams({ clientId: fake.app.clientId, token });
    const host = new URL(fake.origin).host;
    const sign = (key: string, nonce?: string) =>
      macAuthorization(token, key, { method: 'GET', host, path: '/user/profile', query }, nonce);
    const codeOf = async (authorization: string) =>
      (await openApi('/user/profile', token, { authorization })).envelope.code;
    expect(await codeOf(sign('not-the-key'))).toBe(96012);
    const header = sign(String(body.mac_key));
    expect(await codeOf(header)).toBe(0);
    expect(await codeOf(header)).toBe(96012);
    const minutesAgo = Math.floor(Date.now() / 60_000) - 6;
    expect(await codeOf(sign(String(body.mac_key), `12345:${minutesAgo}`))).toBe(96012);
  });
});

// Resets, stalls and canned answers are what the tests over sockets see them do:
// e2e.test.ts (ECONNRESET), real-networks.test.ts (stalls), hostile-input.test.ts (endless).
describe('fault injection', () => {
  const tokenAttempt = () => postForm(fake.endpoints.token, tokenForm({ code: 'x' }));

  it('answers an HTML 5xx page at rate 1', async () => {
    await start({ faults: { rates: { html5xx: 1 } } });
    const response = await tokenAttempt();
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(response.body).toMatch(/^<html>/);
  });

  it('answers 200 with a body that is not Xiaomi’s answer for garbage', async () => {
    await start({ faults: { rates: { garbage: 1 } }, random: seededRandom(7) });
    for (let index = 0; index < 20; index++) {
      const { status, body } = await tokenAttempt();
      expect(status).toBe(200);
      const json = body.replace('&&&START&&&', '');
      expect(() => {
        const parsed = JSON.parse(json) as { access_token?: unknown };
        if (typeof parsed.access_token !== 'string') {
          throw new Error('no token');
        }
      }).toThrow();
    }
  });

  it('answers well-formed Xiaomi errors for errorEnvelope, logging the code it chose', async () => {
    await start({ faults: { rates: { errorEnvelope: 1 } } });
    const token = readTokenBody((await tokenAttempt()).body);
    expect(fake.requestLog.at(-1)?.xiaomiCode).toBe(token.error);
    const response = await plainRequest(
      `${fake.endpoints.openApi}/user/profile?clientId=1&token=x`,
    );
    expect([200, 401, 403]).toContain(response.status);
    expect(JSON.parse(response.body)).toMatchObject({
      result: 'error',
      description: 'injected error',
    });
  });

  it('adds the configured latency before answering', async () => {
    await start({ faults: { latencyMs: 120 } });
    const started = Date.now();
    await tokenAttempt();
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('plays scripted faults for a path in order before the random ones', async () => {
    await start();
    fake.scriptFaults('/oauth2/token', ['html5xx', 'none', 'garbage']);
    const statuses = [];
    for (let index = 0; index < 4; index++) {
      await tokenAttempt();
      statuses.push(fake.requestLog.at(-1)?.fault ?? 'none');
    }
    expect(statuses).toEqual(['html5xx', 'none', 'garbage', 'none']);
  });

  it('breaks about the chosen share of answers and logs each fault', async () => {
    await start({
      faults: { rates: { html5xx: 0.1, garbage: 0.1 } },
      random: seededRandom(1),
    });
    for (let index = 0; index < 200; index++) {
      await tokenAttempt();
    }
    const broken = fake.requestLog.filter((entry) => entry.fault !== undefined).length;
    expect(broken).toBeGreaterThan(20);
    expect(broken).toBeLessThan(60);
    expect(fake.requestLog[0]).toMatchObject({
      target: 'token',
      method: 'POST',
      path: '/oauth2/token',
      params: { code: 'x', client_secret: fake.app.clientSecret },
    });
  });

  // What a fault before or after Xiaomi's logic does to the code: e2e.test.ts, "when Xiaomi breaks".
  it('strikes about the afterShare of random faults after Xiaomi’s logic', async () => {
    await start({ faults: { rates: { html5xx: 1 }, afterShare: 0.5 }, random: seededRandom(3) });
    for (let index = 0; index < 100; index++) {
      await tokenAttempt();
    }
    const after = fake.requestLog.filter((entry) => entry.strikes === 'after').length;
    expect(after).toBeGreaterThan(30);
    expect(after).toBeLessThan(70);
  });
});

describe('how connections end', () => {
  /** Two requests on one keep-alive connection, 100 ms apart; each one's outcome. */
  const twoOnOneConnection = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const outcomes: { status?: number; keepAlive?: string; error?: string; reused: boolean }[] = [];
    for (let index = 0; index < 2; index++) {
      outcomes.push(
        await new Promise((resolve) => {
          const request = httpRequest(`${fake.endpoints.openApi}/user/profile`, { agent });
          request.on('response', (response) => {
            response.resume();
            response.on('end', () => {
              resolve({
                status: response.statusCode,
                keepAlive: response.headers['keep-alive'] as string | undefined,
                reused: request.reusedSocket,
              });
            });
          });
          request.on('error', (error: NodeJS.ErrnoException) => {
            resolve({ error: error.code, reused: request.reusedSocket });
          });
          request.end();
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    agent.destroy();
    return outcomes;
  };

  it.each([
    [
      'answers with a Keep-Alive hint and keeps idle connections by default',
      {},
      [
        { status: 200, keepAlive: 'timeout=5' },
        { status: 200, reused: true },
      ],
      ['answered', 'answered'],
    ],
    [
      'forgets a connection idle past idleCloseMs, without a hint: the next request on it is reset unread',
      { idleCloseMs: 50 },
      [
        { status: 200, keepAlive: undefined },
        { error: 'ECONNRESET', reused: true },
      ],
      ['answered', 'dropped'],
    ],
    [
      // The client saw the close during the pause and opened a new connection.
      'closes every connection after its answer with closeAfterAnswer, announcing keep-alive all the same',
      { closeAfterAnswer: true },
      [
        { status: 200, keepAlive: 'timeout=5' },
        { status: 200, reused: false },
      ],
      ['answered', 'answered'],
    ],
  ])('%s', async (_, connections, outcomes, logged) => {
    await start({ connections });
    expect(await twoOnOneConnection()).toMatchObject(outcomes);
    expect(fake.requestLog.map((entry) => entry.outcome)).toEqual(logged);
    if ('closeAfterAnswer' in connections) {
      expect(await fake.openConnections()).toBe(0);
    }
  });
});
