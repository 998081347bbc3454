/**
 * What real networks do to connections and time, through the built connector against the fake
 * Xiaomi over loopback sockets: connections kept alive, forgotten while idle by a load balancer or
 * closed after every answer; calls that stall or stop half-way. Logto's own callbacks that never
 * settle: test/unit/retries.test.ts. The proxy is in proxy.test.ts, the retry rule step by step
 * in e2e.test.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { ConnectorErrorCodes } from '@logto/connector-kit';
import { afterEach, describe, expect, it } from 'vitest';

import type { FakeXiaomi, FakeXiaomiOptions } from '../../fakes/xiaomi/index.ts';
import { tokenPrefix } from '../../fakes/xiaomi/index.ts';
import { consentTo, failureOf, signIn, startSignIns } from './sign-in.ts';
import { settleTo } from './soak-probes.ts';

const connectorId = 'xiaomi-networks';
const fakes = new Set<FakeXiaomi>();

afterEach(async () => {
  await Promise.all([...fakes].map(async (fake) => fake.close()));
  fakes.clear();
});

const setUp = async (
  options: FakeXiaomiOptions = {},
  {
    scope = '1',
    timeoutMs = 3000,
    getConfig,
  }: { scope?: string; timeoutMs?: number; getConfig?: () => Promise<unknown> } = {},
) => {
  let config = {};
  const { fake, connector, logto, redirectUri } = await startSignIns({
    connectorId,
    getConfig: getConfig ?? (async () => config),
    timeoutMs,
    ...options,
  });
  fakes.add(fake);
  config = { clientId: fake.app.clientId, clientSecret: fake.app.clientSecret, scope };
  /** A sign-in, and how long Logto's `getUserInfo` took (the consent page not counted). */
  const timedSignIn = async () => {
    const { attempt, query } = await consentTo(logto);
    const begin = performance.now();
    const userInfo = await logto.finish(attempt, query);
    return { userInfo, ms: performance.now() - begin };
  };
  return { fake, connector, logto, redirectUri, timedSignIn };
};

/** The connector's calls to Xiaomi, the consent page left out. */
const connectorCalls = (fake: FakeXiaomi) =>
  fake.requestLog.filter((entry) => entry.target === 'token' || entry.target === 'openApi');

describe('connections', () => {
  it('sign-ins one after another share one kept-alive connection', async () => {
    const { fake, logto } = await setUp();
    for (let index = 0; index < 5; index++) {
      await signIn(logto);
    }
    const calls = connectorCalls(fake);
    expect(calls).toHaveLength(10);
    expect(new Set(calls.map((entry) => entry.remotePort)).size).toBe(1);
  });

  it('a request on a connection a load balancer forgot while idle is sent again on a new one, the token exchange included', async () => {
    // The fake forgets a connection after 100 ms idle, without a word: no FIN, no Keep-Alive hint.
    const { fake, logto } = await setUp({ connections: { idleCloseMs: 100 } });
    await signIn(logto);
    for (let index = 0; index < 5; index++) {
      await sleep(150);
      expect((await signIn(logto)).id).toBe(fake.user.unionId);
    }
    const tokenCalls = fake.requestLog.filter((entry) => entry.path === '/oauth2/token');
    expect(tokenCalls.filter((entry) => entry.outcome === 'dropped').length).toBeGreaterThan(0);
    // Xiaomi read each code once: the dropped requests never reached it.
    expect(tokenCalls.filter((entry) => entry.outcome === 'answered')).toHaveLength(6);
    expect(tokenCalls.every((entry) => entry.xiaomiCode === undefined)).toBe(true);
  });

  it('a server that closes every connection after its answer, unannounced, costs no sign-in', async () => {
    const { fake, logto } = await setUp(
      { connections: { closeAfterAnswer: true } },
      { scope: '1 3 4 6' },
    );
    // 40 sign-ins one right after the other, as a busy Logto runs them.
    const { attempt, query } = await consentTo(logto);
    const codes = fake.issueCodesLike(query['code']!, 39);
    const users = [await logto.finish(attempt, query)];
    for (const code of codes) {
      const next = await logto.start('sign-in page');
      users.push(await logto.finish(next, { code, state: next.state }));
    }
    expect(users.map((user) => user.id)).toEqual(Array(40).fill(fake.user.unionId));
  });

  it('idle connections are closed after 4 s, before common load balancers drop them', async () => {
    // A server that would keep them a minute: the connector is the one that lets go.
    const { fake, logto } = await setUp({ keepAliveTimeoutMs: 60_000 });
    await signIn(logto);
    expect(await fake.openConnections()).toBeGreaterThan(0);
    await sleep(3000);
    expect(await fake.openConnections()).toBeGreaterThan(0);
    expect(await settleTo(async () => fake.openConnections(), 0, 2000)).toBe(0);
  }, 15_000);
});

// A refused connection: http.test.ts, tried again and named in the error by test/unit/retries.test.ts.
describe('time', () => {
  it.each([
    ['token exchange', '/oauth2/token'],
    ['profile call', '/user/profile'],
  ])(
    'a stalled %s is given up after 40% of the bound and tried again: the user signs in',
    async (_, path) => {
      const { fake, timedSignIn } = await setUp({}, { timeoutMs: 1000 });
      fake.scriptFaults(path, ['stall']);
      const { userInfo, ms } = await timedSignIn();
      expect(userInfo.id).toBe(fake.user.unionId);
      // The rest of the bound is left for the second attempt.
      expect(ms).toBeGreaterThanOrEqual(400 - 20);
      expect(ms).toBeLessThan(1000);
      expect(fake.requestLog.filter((entry) => entry.path === path)).toHaveLength(2);
    },
  );

  it.each([
    ['a token exchange that stalls twice', '/oauth2/token', undefined],
    ['a profile call that stalls twice', '/user/profile', undefined],
    ['a token answer that stops half-way', '/oauth2/token', `${tokenPrefix}{"access_`],
  ])('%s fails the sign-in with general within its time bound', async (_, path, halfAnswer) => {
    const { fake, logto } = await setUp({}, { timeoutMs: 400 });
    if (halfAnswer === undefined) {
      fake.scriptFaults(path, ['stall', 'stall']);
    } else {
      fake.setCannedAnswer(path, {
        status: 200,
        body: halfAnswer,
        contentType: 'text/html',
        ends: 'stalls',
      });
    }
    const { attempt, query } = await consentTo(logto);
    const begin = performance.now();
    const error = await failureOf(logto.finish(attempt, query));
    expect(performance.now() - begin).toBeLessThan(400 + 300);
    expect(error.code).toBe(ConnectorErrorCodes.General);
    expect(JSON.stringify(error.data)).toContain('timed out');
  });

  it('stalled openIdV2 and phoneAndEmail calls hold a sign-in only a short grace after the profile answered', async () => {
    const { fake, timedSignIn } = await setUp({}, { scope: '1 3 4 6', timeoutMs: 4000 });
    fake.scriptFaults('/user/openIdV2', ['stall', 'stall']);
    fake.scriptFaults('/user/phoneAndEmail', ['stall', 'stall']);
    const { userInfo, ms } = await timedSignIn();
    // The grace is 5% of the bound: 200 ms here, 0.5 s with the default 10 s. Without it, the
    // stalled calls would hold the sign-in for the whole bound.
    expect(ms).toBeGreaterThanOrEqual(200 - 20);
    expect(ms).toBeLessThan(1200);
    expect(userInfo.id).toBe(fake.user.unionId);
    expect(userInfo).not.toHaveProperty('email');
    expect(userInfo.rawData).not.toHaveProperty('openId');
  });

  it('optional calls that answer within the grace still reach Logto', async () => {
    const { fake, logto } = await setUp(
      { faults: { latencyMs: 30 } },
      { scope: '1 3 4 6', timeoutMs: 4000 },
    );
    const userInfo = await signIn(logto);
    expect(userInfo).toMatchObject({ id: fake.user.unionId, email: fake.user.email });
    expect(userInfo.rawData).toHaveProperty('openId');
  });
});
