/**
 * The fake Xiaomi itself: that it answers as Xiaomi does and that its faults are what they claim,
 * for what the demo, the benchmark and the other tests rely on. What a sign-in already shows of
 * the fake is left to the tests that would fail without it: a code works once and for five
 * minutes, refresh tokens once each, only the ticked scopes are granted, a signed call passes and
 * an unsigned one does not, resets before and after Xiaomi's logic (e2e.test.ts); stalls,
 * answers that stop half-way, kept-alive connections, the client port (real-networks.test.ts);
 * HTTPS under xiaomi.invalid (proxy.test.ts); answers that never end (hostile-input.test.ts).
 */
import { Agent, request as httpRequest } from 'node:http';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { plainRequest, postForm } from '../../fakes/network/http-client.ts';
import { passConsent } from '../../fakes/user/scripted-user.ts';
import {
  ManualClock,
  macAuthorization,
  seededRandom,
  startFakeXiaomi,
  tokenPrefix,
  type FakeXiaomi,
  type FakeXiaomiOptions,
} from '../../fakes/xiaomi/index.ts';

const redirectUri = 'https://logto.example.com/callback/xiaomi';
let clock: ManualClock;
let fake: FakeXiaomi;

/** One app that knows `redirectUri`; Xiaomi's clock set to the real time, as MAC nonces need. */
const start = async (options: FakeXiaomiOptions = {}) => {
  clock = new ManualClock(Date.now());
  fake = await startFakeXiaomi({
    apps: [{ redirectUris: [redirectUri] }],
    now: clock.now,
    random: seededRandom(1),
    ...options,
  });
};

beforeEach(() => start());
afterEach(() => fake.close());

/** Without `scope` unless given: the app's permitted scopes (1 3 4 6). */
const authorizeUrl = (params: Record<string, string> = {}) =>
  `${fake.endpoints.authorize}?${new URLSearchParams({
    client_id: fake.app.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    state: 'st4te',
    ...params,
  })}`;

const codeFor = async (scopes?: number[]) => {
  const outcome = await passConsent(authorizeUrl(), { decision: 'allow', scopes });
  if (outcome.kind !== 'redirected' || !outcome.query['code']) {
    throw new Error(`no code: ${JSON.stringify(outcome)}`);
  }
  return outcome.query['code'];
};

/** Where Xiaomi sent the browser back to, or what it did instead. */
const landing = async (url: string, decision: 'allow' | 'deny' = 'allow') => {
  const outcome = await passConsent(url, { decision });
  return outcome.kind === 'redirected' ? outcome.location.href : JSON.stringify(outcome);
};

const tokenCall = (fields: Record<string, string> = { code: 'x' }, method = 'POST') => {
  const form = new URLSearchParams({
    client_id: fake.app.clientId,
    client_secret: fake.app.clientSecret,
    redirect_uri: redirectUri,
    grant_type: 'authorization_code',
    ...fields,
  });
  return method === 'GET'
    ? plainRequest(`${fake.endpoints.token}?${form}`)
    : postForm(fake.endpoints.token, form);
};

/** Xiaomi's token answer, refusals included: HTTP 200 labelled text/html, the prefix, then JSON. */
const exchange = async (fields: Record<string, string>, method?: string) => {
  const { status, headers, body } = await tokenCall(fields, method);
  expect([status, headers['content-type']]).toEqual([200, expect.stringContaining('text/html')]);
  expect(body.startsWith(tokenPrefix)).toBe(true);
  return JSON.parse(body.slice(tokenPrefix.length)) as Record<string, unknown>;
};

const openApi = async (path: string, token: string, headers: Record<string, string> = {}) => {
  const { status, body } = await plainRequest(
    `${fake.endpoints.openApi}${path}?clientId=${fake.app.clientId}&token=${encodeURIComponent(token)}`,
    { headers },
  );
  return { status, envelope: JSON.parse(body) as Record<string, unknown> };
};

const accessTokenFor = async (scopes?: number[]) =>
  String((await exchange({ code: await codeFor(scopes) })).access_token);

describe('the authorize page', () => {
  it.each([
    ['the requested scopes the app is permitted, naming the others', '1 3 6', 6, true],
    // Xiaomi's docs do not say what a request without `scope` gets; the fake's choice.
    ['every scope the app is permitted when the request names none', undefined, 4, false],
  ])('offers %s', async (_, scope, hidden, named) => {
    fake.setApp({ permittedScopes: [1, 3] });
    const page = await plainRequest(authorizeUrl(scope ? { scope } : {}));
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/value="1" checked[^]*value="3" checked/);
    expect(page.body).not.toContain(`name="scope" value="${hidden}"`);
    expect(page.body.includes(`Not available to this app: ${hidden}`)).toBe(named);
  });

  it('sends the browser back to the app with a code and the same state when the user allows', async () => {
    expect(await landing(authorizeUrl())).toMatch(
      new RegExp(`^${redirectUri}\\?code=C3_[\\w-]+&state=st4te$`),
    );
  });

  it.each([
    [96012, 'when the user denies', 'deny', {}, 'access denied'],
    [96007, 'for a scope id not in Xiaomi’s table', 'allow', { scope: '1 5' }, 'invalid scope'],
    [96011, 'when response_type is not code', 'allow', { response_type: 'token' }, 'response_type'],
  ] as const)(
    'sends the browser back to the app with error %i and the state %s',
    async (error, _, decision, params, description) => {
      const query = new URLSearchParams({ error: String(error), error_description: description });
      expect(await landing(authorizeUrl(params), decision)).toBe(
        `${redirectUri}?${query}&state=st4te`,
      );
    },
  );

  it.each([
    [96001, 'for an unknown client', { client_id: '999' }, {}],
    [96001, 'for an app whose account service is off', {}, { accountServiceEnabled: false }],
    [96010, 'for an unregistered redirect URI', { redirect_uri: 'https://evil.example/cb' }, {}],
  ])('stops on error page %i %s', async (xiaomiCode, _, params, app) => {
    fake.setApp(app);
    expect(await passConsent(authorizeUrl(params), { decision: 'allow' })).toEqual({
      kind: 'refused',
      status: 400,
      xiaomiCode,
    });
  });

  it('lets the user pick an account unless skip_confirm is true', async () => {
    fake.setUser({ userId: '2', nickname: 'Second' });
    const chooser = async (params = {}) =>
      (await plainRequest(authorizeUrl(params))).body.includes('type="radio"');
    expect([await chooser(), await chooser({ skip_confirm: 'true' })]).toEqual([true, false]);
  });
});

describe('the token endpoint', () => {
  it.each(['POST', 'GET'])(
    'answers a code sent by %s (Xiaomi’s docs show both) with HTTP 200, the &&&START&&& prefix, a mac token, the granted scope and union_id',
    async (method) => {
      expect(await exchange({ code: await codeFor() }, method)).toMatchObject({
        access_token: expect.stringMatching(/^V3_/),
        expires_in: 7_776_000,
        refresh_token: expect.stringMatching(/^R3_/),
        scope: '1 3 4 6',
        token_type: 'mac',
        mac_key: expect.any(String),
        mac_algorithm: 'HmacSha1',
        openId: expect.any(String),
        union_id: fake.user.unionId,
      });
    },
  );

  it.each([
    ['a code Xiaomi never issued', { code: 'nope' }, 96013],
    ['an unknown client_id', { client_id: '42' }, 96001],
    ['a wrong client_secret', { client_secret: 'wrong' }, 96003],
    ['an unregistered redirect_uri', { redirect_uri: 'https://other.example.com/cb' }, 96010],
    ['an unsupported grant_type', { grant_type: 'password' }, 96006],
    ['a missing code', { code: '' }, 96002],
    // The second app has the default secret too.
    ['a code issued to another app', { client_id: '2882303761520000002' }, 96004],
  ])('refuses %s with %s, in an HTTP 200 text/html answer', async (_, fields, error) => {
    fake.setApp({ clientId: '2882303761520000002', redirectUris: [redirectUri] });
    expect((await exchange({ code: await codeFor(), ...fields })).error).toBe(error);
  });

  // Xiaomi's docs do not say; the fake's choice, on which the retry rule's 96013 case rests.
  it('spends a code on the first exchange that passes client authentication, even one that then fails', async () => {
    const other = 'https://logto.example.com/callback/other';
    fake.setApp({ redirectUris: [redirectUri, other] });
    const code = await codeFor();
    expect((await exchange({ code, redirect_uri: other })).error).toBe(96010);
    expect(await exchange({ code })).toEqual({
      error: 96013,
      error_description: 'code is invalid, expired or already used',
    });
  });

  it('reproduces the documented quirks: whitespace after the prefix, spaced keys, string codes', async () => {
    await fake.close();
    await start({ quirks: { prefixPadding: ' \n ', spacedKeys: true, stringErrorCodes: true } });
    const ok = (await tokenCall({ code: await codeFor() })).body;
    expect(ok).toMatch(/^&&&START&&& \n \{/);
    expect(ok).toContain('"token_type ":"mac"');
    expect((await exchange({ code: 'x' })).error).toBe('96013');
  });
});

describe('the Open API', () => {
  it('wraps the profile in the ok envelope with unionId, nickname and avatar sizes', async () => {
    expect(await openApi('/user/profile', await accessTokenFor())).toMatchObject({
      status: 200,
      envelope: {
        result: 'ok',
        description: 'success',
        code: 0,
        data: {
          unionId: fake.user.unionId,
          miliaoNick: fake.user.nickname,
          miliaoIcon: fake.user.icon,
          miliaoIcon_320: fake.user.icon,
        },
      },
    });
  });

  it('answers both spellings, openidV2 and openIdV2, with the per-app openid', async () => {
    const token = await accessTokenFor();
    const { envelope } = await openApi('/user/openidV2', token);
    expect(envelope.data).toEqual({ openid: expect.stringMatching(/^.{24}$/) });
    expect((await openApi('/user/openIdV2', token)).envelope.data).toEqual(envelope.data);
  });

  it('answers an empty string for a phone or email whose scope was not granted', async () => {
    const { envelope } = await openApi('/user/phoneAndEmail', await accessTokenFor([1, 6]));
    expect(envelope.data).toEqual({ phone: '', email: fake.user.email });
  });

  it('refuses a call whose scope was not granted with 96007 and HTTP 403', async () => {
    const { status, envelope } = await openApi('/user/phoneAndEmail', await accessTokenFor([1]));
    expect(status).toBe(403);
    expect(envelope).toMatchObject({ result: 'error', code: 96007 });
  });

  it('refuses an unknown or expired access token with 96008 and HTTP 401', async () => {
    expect(await openApi('/user/profile', 'V3_unknown')).toMatchObject({
      status: 401,
      envelope: { code: 96008 },
    });
    const token = await accessTokenFor();
    clock.advance(91 * 24 * 3600 * 1000);
    expect((await openApi('/user/profile', token)).envelope.code).toBe(96008);
  });

  it('refuses a call without clientId or token with 96002', async () => {
    const response = await plainRequest(`${fake.endpoints.openApi}/user/profile?token=x`);
    expect(JSON.parse(response.body)).toMatchObject({ result: 'error', code: 96002 });
  });

  // A signed call accepted and an unsigned one refused: e2e.test.ts, "MAC-signed Open API calls".
  it('refuses, for an app that requires MAC, a wrong key, a replayed nonce and a nonce older than five minutes with 96012', async () => {
    fake.setApp({ requireMac: true });
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
  const tokenCalls = async (count: number) => {
    for (let index = 0; index < count; index++) {
      await tokenCall();
    }
  };

  it('answers an HTML 5xx page at rate 1', async () => {
    fake.setFaults({ rates: { html5xx: 1 } });
    const response = await tokenCall();
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(response.body).toMatch(/^<html>/);
  });

  it('answers 200 with a body that is not Xiaomi’s answer for garbage', async () => {
    fake.setFaults({ rates: { garbage: 1 } });
    for (let index = 0; index < 20; index++) {
      const { status, body } = await tokenCall();
      expect(status).toBe(200);
      // Not JSON, or JSON without a token to read.
      const token = () => JSON.parse(body.replace(tokenPrefix, '')) as { access_token: string };
      expect(() => token().access_token.trim()).toThrow();
    }
  });

  it('answers well-formed Xiaomi errors for errorEnvelope, logging the code it chose', async () => {
    fake.setFaults({ rates: { errorEnvelope: 1 } });
    const { error } = await exchange({ code: 'x' });
    expect(fake.requestLog.at(-1)?.xiaomiCode).toBe(error);
    const { status, envelope } = await openApi('/user/profile', 'x');
    expect([200, 401, 403]).toContain(status);
    expect(envelope).toMatchObject({ result: 'error', description: 'injected error' });
  });

  it('adds the configured latency before answering', async () => {
    fake.setFaults({ latencyMs: 120 });
    const started = Date.now();
    await tokenCall();
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('plays scripted faults for a path in order before the random ones', async () => {
    fake.scriptFaults('/oauth2/token', ['html5xx', 'none', 'garbage']);
    await tokenCalls(4);
    const faults = fake.requestLog.map((entry) => entry.fault ?? 'none');
    expect(faults).toEqual(['html5xx', 'none', 'garbage', 'none']);
  });

  it('breaks about the chosen share of answers and logs each fault', async () => {
    fake.setFaults({ rates: { html5xx: 0.1, garbage: 0.1 } });
    await tokenCalls(200);
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
    fake.setFaults({ rates: { html5xx: 1 }, afterShare: 0.5 });
    await tokenCalls(100);
    const after = fake.requestLog.filter((entry) => entry.strikes === 'after').length;
    expect(after).toBeGreaterThan(30);
    expect(after).toBeLessThan(70);
  });
});

describe('how connections end', () => {
  /** A request on the agent's one connection: status and Keep-Alive hint, or the error. */
  const requestOn = (agent: Agent) =>
    new Promise<string>((resolve) => {
      const request = httpRequest(`${fake.endpoints.openApi}/user/profile`, { agent });
      const done = (what: string) => resolve(`${what}, ${request.reusedSocket ? 'reused' : 'new'}`);
      request.on('response', (response) => {
        const hint = response.headers['keep-alive'] ?? 'no hint';
        response.resume().on('end', () => done(`${response.statusCode}, ${hint}`));
      });
      request.on('error', (error: NodeJS.ErrnoException) => done(String(error.code)));
      request.end();
    });

  // Each of two requests on one keep-alive connection, 100 ms apart: what the client saw, whether
  // the connection was reused, and what the fake logged.
  it.each([
    [
      'answers with a Keep-Alive hint and keeps idle connections by default',
      {},
      ['200, timeout=5, new, answered', '200, timeout=5, reused, answered'],
    ],
    [
      'forgets a connection idle past idleCloseMs, without a hint: the next request on it is reset unread',
      { idleCloseMs: 50 },
      ['200, no hint, new, answered', 'ECONNRESET, reused, dropped'],
    ],
    [
      // The client saw the close during the pause and opened a new connection.
      'closes every connection after its answer with closeAfterAnswer, announcing keep-alive all the same',
      { closeAfterAnswer: true },
      ['200, timeout=5, new, answered', '200, timeout=5, new, answered'],
    ],
  ])('%s', async (_, connections, outcomes) => {
    fake.setConnections(connections);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const seen = [];
    for (let index = 0; index < 2; index++) {
      seen.push(`${await requestOn(agent)}, ${fake.requestLog[index]?.outcome}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    agent.destroy();
    expect(seen).toEqual(outcomes);
    if ('closeAfterAnswer' in connections) {
      expect(await fake.openConnections()).toBe(0);
    }
  });
});
