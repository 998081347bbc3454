import { afterEach, describe, expect, it } from 'vitest';

import type { FakeXiaomi, FakeXiaomiOptions } from '../fake-xiaomi/index.ts';
import {
  ManualClock,
  macAuthorization,
  seededRandom,
  startFakeXiaomi,
} from '../fake-xiaomi/index.ts';
import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { plainRequest, postForm } from '../fake-xiaomi/http-client.ts';
import { passConsent } from '../fake-xiaomi/scripted-user.ts';
import { fakeTls, unresolvableHost } from '../fake-xiaomi/tls.ts';

const redirectUri = 'https://logto.example.com/callback/xiaomi';
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
  it('offers the requested scopes the app is permitted and hides the others', async () => {
    await start();
    fake.setApp({ permittedScopes: [1, 3] });
    const page = await plainRequest(authorizeUrl({ scope: '1 3 6' }));
    expect(page.status).toBe(200);
    expect(page.body).toContain('value="1" checked');
    expect(page.body).toContain('value="3" checked');
    expect(page.body).not.toContain('name="scope" value="6"');
    expect(page.body).toContain('Not available to this app: 6');
  });

  it('sends the browser back with a code and the same state when the user allows', async () => {
    await start();
    const outcome = await passConsent(authorizeUrl(), { decision: 'allow' });
    expect(outcome).toMatchObject({ kind: 'redirected', query: { state: 'st4te' } });
    if (outcome.kind === 'redirected') {
      expect(outcome.location.origin + outcome.location.pathname).toBe(redirectUri);
      expect(outcome.query['code']).toMatch(/^C3_/);
    }
  });

  it('sends the browser back with error 96012 and the state when the user denies', async () => {
    await start();
    const outcome = await passConsent(authorizeUrl(), { decision: 'deny' });
    expect(outcome).toMatchObject({
      kind: 'redirected',
      query: { error: '96012', error_description: 'access denied', state: 'st4te' },
    });
  });

  it('stops on error page 96001 for an unknown client or one whose account service is off', async () => {
    await start();
    expect(await passConsent(authorizeUrl({ client_id: '999' }), { decision: 'allow' })).toEqual({
      kind: 'refused',
      status: 400,
      xiaomiCode: 96001,
    });
    fake.setApp({ accountServiceEnabled: false });
    expect(await passConsent(authorizeUrl(), { decision: 'allow' })).toMatchObject({
      xiaomiCode: 96001,
    });
  });

  it('stops on error page 96010 for a redirect URI that is not registered', async () => {
    await start();
    const outcome = await passConsent(
      authorizeUrl({ redirect_uri: 'https://evil.example.com/callback/xiaomi' }),
      { decision: 'allow' },
    );
    expect(outcome).toEqual({ kind: 'refused', status: 400, xiaomiCode: 96010 });
  });

  it('redirects with 96007 for a scope id outside Xiaomi’s scope table', async () => {
    await start();
    const outcome = await passConsent(authorizeUrl({ scope: '1 5' }), { decision: 'allow' });
    expect(outcome).toMatchObject({ kind: 'redirected', query: { error: '96007' } });
  });

  it('redirects with 96011 when response_type is not code', async () => {
    await start();
    const outcome = await passConsent(authorizeUrl({ response_type: 'token' }), {
      decision: 'allow',
    });
    expect(outcome).toMatchObject({ kind: 'redirected', query: { error: '96011' } });
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

  it('grants only the scopes the user left ticked', async () => {
    await start();
    expect((await exchange({ code: await codeFor({}, [1, 6]) })).scope).toBe('1 6');
  });

  it('takes a code once: the second exchange gets 96013', async () => {
    await start();
    const code = await codeFor();
    await exchange({ code });
    expect((await exchange({ code })).error).toBe(96013);
  });

  it('issues more single-use codes for the same consent, for load tests', async () => {
    await start();
    const code = await codeFor();
    const more = fake.issueCodesLike(code, 2);
    expect(new Set([code, ...more]).size).toBe(3);
    for (const each of more) {
      expect(await exchange({ code: each })).toHaveProperty('access_token');
      expect((await exchange({ code: each })).error).toBe(96013);
    }
  });

  it('expires a code five minutes after it was issued', async () => {
    const clock = new ManualClock();
    await start({ now: clock.now });
    const fresh = await codeFor();
    const stale = await codeFor();
    clock.advance(5 * 60_000);
    expect((await exchange({ code: fresh })).access_token).toBeDefined();
    clock.advance(1);
    expect((await exchange({ code: stale })).error).toBe(96013);
  });

  it.each([
    ['an unknown client_id', { client_id: '42' }, 96001],
    ['a wrong client_secret', { client_secret: 'wrong' }, 96003],
    ['an unregistered redirect_uri', { redirect_uri: 'https://other.example.com/cb' }, 96010],
    ['an unsupported grant_type', { grant_type: 'password' }, 96006],
    ['a missing code', { code: '' }, 96002],
  ])('refuses %s with %s', async (_, fields, error) => {
    await start();
    expect((await exchange({ code: await codeFor(), ...fields })).error).toBe(error);
  });

  it('refuses with 96010 a redirect_uri other than the one the code was issued for', async () => {
    await start();
    const other = 'https://logto.example.com/callback/other';
    fake.setApp({ redirectUris: [redirectUri, other] });
    expect((await exchange({ code: await codeFor(), redirect_uri: other })).error).toBe(96010);
  });

  it('refuses with 96004 a code issued to another app', async () => {
    await start();
    const code = await codeFor();
    const other = fake.setApp({ clientId: '2882303761520000002', redirectUris: [redirectUri] });
    const body = await exchange({
      code,
      client_id: other.clientId,
      client_secret: other.clientSecret,
    });
    expect(body.error).toBe(96004);
  });

  it('takes a refresh token once and hands out a new one with every refresh', async () => {
    await start();
    const first = await exchange({ code: await codeFor() });
    const refresh = (refreshToken: unknown) =>
      exchange({ grant_type: 'refresh_token', refresh_token: String(refreshToken) });
    const second = await refresh(first.refresh_token);
    expect(second.access_token).toMatch(/^V3_/);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await refresh(first.refresh_token)).error).toBe(96009);
    expect((await refresh(second.refresh_token)).access_token).toMatch(/^V3_/);
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
});

describe('MAC-signed Open API requests, for apps that require them', () => {
  const signedCall = async (mutate: { key?: string; nonce?: string } = {}) => {
    const clock = new ManualClock(Date.now());
    await start({ now: clock.now, apps: [{ redirectUris: [redirectUri], requireMac: true }] });
    const body = await exchange({ code: await codeFor() });
    const token = String(body.access_token);
    const query = new URLSearchParams({ clientId: fake.app.clientId, token });
    const host = new URL(fake.origin).host;
    const sign = (nonce?: string) =>
      macAuthorization(
        token,
        mutate.key ?? String(body.mac_key),
        { method: 'GET', host, path: '/user/profile', query },
        nonce,
      );
    return { token, sign };
  };

  it('refuses an unsigned call with 96012', async () => {
    const { token } = await signedCall();
    expect((await openApi('/user/profile', token)).envelope.code).toBe(96012);
  });

  it('accepts a call signed with the token’s mac_key', async () => {
    const { token, sign } = await signedCall();
    expect(
      (await openApi('/user/profile', token, { authorization: sign() })).envelope,
    ).toMatchObject({ result: 'ok' });
  });

  it('refuses a wrong key, a replayed nonce and a nonce older than five minutes with 96012', async () => {
    const wrongKey = await signedCall({ key: 'not-the-key' });
    expect(
      (await openApi('/user/profile', wrongKey.token, { authorization: wrongKey.sign() })).envelope
        .code,
    ).toBe(96012);
    await fake.close();

    const { token, sign } = await signedCall();
    const header = sign();
    expect((await openApi('/user/profile', token, { authorization: header })).envelope.result).toBe(
      'ok',
    );
    expect((await openApi('/user/profile', token, { authorization: header })).envelope.code).toBe(
      96012,
    );
    const minutesAgo = Math.floor(Date.now() / 60_000) - 6;
    const stale = sign(`12345:${minutesAgo}`);
    expect((await openApi('/user/profile', token, { authorization: stale })).envelope.code).toBe(
      96012,
    );
  });
});

describe('fault injection', () => {
  const tokenAttempt = () => postForm(fake.endpoints.token, tokenForm({ code: 'x' }));

  it('answers an HTML 5xx page at rate 1', async () => {
    await start({ faults: { rates: { html5xx: 1 } } });
    const response = await tokenAttempt();
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(response.body).toMatch(/^<html>/);
  });

  it('resets the connection at rate 1', async () => {
    await start({ faults: { rates: { reset: 1 } } });
    await expect(tokenAttempt()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('leaves a stalled request unanswered until close() ends it', async () => {
    await start({ faults: { rates: { stall: 1 } } });
    const attempt = tokenAttempt();
    const settled = await Promise.race([
      attempt.then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(resolve, 300, 'pending')),
    ]);
    expect(settled).toBe('pending');
    expect(fake.requestLog.at(-1)).toMatchObject({ outcome: 'stalled', fault: 'stall' });
    await fake.close();
    await expect(attempt).rejects.toThrow();
    fake = await startFakeXiaomi();
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

  it('spares the authorize page unless it is named as a target', async () => {
    await start({ faults: { rates: { html5xx: 1 } } });
    expect((await plainRequest(authorizeUrl())).status).toBe(200);
    fake.setFaults({ rates: { html5xx: 1 }, targets: ['authorize'] });
    expect((await plainRequest(authorizeUrl())).status).toBeGreaterThanOrEqual(500);
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
});

describe('canned answers', () => {
  /** What a client reads of the profile answer within `ms`, and whether the body ended. */
  const readFor = async (ms: number) =>
    new Promise<{ length?: string; bytes: number; ended: boolean }>((resolve, reject) => {
      const request = httpRequest(`${fake.endpoints.openApi}/user/profile`, { agent: false });
      request.on('response', (response) => {
        let bytes = 0;
        let ended = false;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => (ended = true));
        setTimeout(() => {
          request.destroy();
          resolve({ length: response.headers['content-length'], bytes, ended });
        }, ms);
      });
      request.on('error', reject);
      request.end();
    });

  it('answer a path with a fixed status and body in place of Xiaomi’s logic', async () => {
    await start();
    fake.setCannedAnswer('/user/profile', { status: 418, body: 'teapot' });
    const response = await plainRequest(`${fake.endpoints.openApi}/user/profile`);
    expect(response).toMatchObject({ status: 418, body: 'teapot' });
    fake.setCannedAnswer('/user/profile', undefined);
    expect((await plainRequest(`${fake.endpoints.openApi}/user/profile`)).status).not.toBe(418);
  });

  it('stall half-way with ends: stalls, the body shorter than its announced length', async () => {
    await start();
    fake.setCannedAnswer('/user/profile', { status: 200, body: '{"result":"ok"', ends: 'stalls' });
    expect(await readFor(200)).toEqual({ length: String(14 + 1024), bytes: 14, ended: false });
    expect(fake.requestLog.at(-1)).toMatchObject({ outcome: 'stalled' });
  });

  it('never end with ends: endless, until the client hangs up', async () => {
    await start();
    fake.setCannedAnswer('/user/profile', { status: 200, body: '{', ends: 'endless' });
    const read = await readFor(200);
    expect(read.ended).toBe(false);
    expect(read.bytes).toBeGreaterThan(1024 * 1024);
  });
});

describe('faults before and after Xiaomi’s logic', () => {
  const exchange = async (code: string) =>
    postForm(fake.endpoints.token, tokenForm({ code })).then(
      (response) => response,
      () => undefined,
    );

  it('strikes before Xiaomi’s logic by default: the code still works afterwards', async () => {
    await start();
    const code = await codeFor();
    fake.scriptFaults('/oauth2/token', ['reset']);
    expect(await exchange(code)).toBeUndefined();
    expect(readTokenBody((await exchange(code))!.body)).toHaveProperty('access_token');
    expect(fake.requestLog.at(-2)).toMatchObject({ fault: 'reset', strikes: 'before' });
  });

  it('strikes after Xiaomi’s logic when scripted so: the code is spent, the next exchange gets 96013', async () => {
    await start();
    const code = await codeFor();
    fake.scriptFaults('/oauth2/token', ['html5xx'], 'after');
    expect((await exchange(code))!.status).toBeGreaterThanOrEqual(500);
    expect(readTokenBody((await exchange(code))!.body)).toMatchObject({ error: 96013 });
    expect(fake.requestLog.at(-2)).toMatchObject({ fault: 'html5xx', strikes: 'after' });
  });

  it('strikes about the afterShare of random faults after Xiaomi’s logic', async () => {
    await start({ faults: { rates: { html5xx: 1 }, afterShare: 0.5 }, random: seededRandom(3) });
    for (let index = 0; index < 100; index++) {
      await exchange('x');
    }
    const after = fake.requestLog.filter((entry) => entry.strikes === 'after').length;
    expect(after).toBeGreaterThan(30);
    expect(after).toBeLessThan(70);
  });
});

describe('how connections end', () => {
  /** Two requests on one keep-alive connection, `pauseMs` apart; each one's outcome. */
  const twoOnOneConnection = async (pauseMs: number) => {
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
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    agent.destroy();
    return outcomes;
  };

  it('answers with a Keep-Alive hint and keeps idle connections by default', async () => {
    await start();
    const [first, second] = await twoOnOneConnection(100);
    expect(first).toMatchObject({ status: 200, keepAlive: 'timeout=5' });
    expect(second).toMatchObject({ status: 200, reused: true });
  });

  it('forgets a connection idle past idleCloseMs, without a hint: the next request on it is reset unread', async () => {
    await start({ connections: { idleCloseMs: 50 } });
    const [first, second] = await twoOnOneConnection(100);
    expect(first).toMatchObject({ status: 200, keepAlive: undefined });
    expect(second).toMatchObject({ error: 'ECONNRESET', reused: true });
    expect(fake.requestLog.map((entry) => entry.outcome)).toEqual(['answered', 'dropped']);
  });

  it('closes every connection after its answer with closeAfterAnswer, announcing keep-alive all the same', async () => {
    await start({ connections: { closeAfterAnswer: true } });
    const [first, second] = await twoOnOneConnection(100);
    expect(first).toMatchObject({ status: 200, keepAlive: 'timeout=5' });
    // The client saw the close during the pause and opened a new connection.
    expect(second).toMatchObject({ status: 200, reused: false });
    expect(await fake.openConnections()).toBe(0);
  });

  it('logs the port each request came from', async () => {
    await start();
    await plainRequest(`${fake.endpoints.openApi}/user/profile`);
    expect(fake.requestLog.at(-1)?.remotePort).toBeGreaterThan(0);
  });

  it('serves HTTPS with the given certificate, under a host name only a proxy resolves', async () => {
    await start({ tls: fakeTls, hostname: unresolvableHost });
    expect(fake.endpoints.token).toMatch(/^https:\/\/xiaomi\.invalid:\d+\/oauth2\/token$/);
    const { port } = new URL(fake.origin);
    const status = await new Promise((resolve, reject) => {
      const request = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/user/profile',
          ca: fakeTls.cert,
          servername: unresolvableHost,
          agent: false,
        },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(200);
  });
});
