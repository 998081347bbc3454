/**
 * What real networks do to connections and time, through the built connector against the fake
 * Xiaomi over loopback sockets: connections a load balancer forgets while idle, servers that close
 * after every answer, stalled calls, and Logto callbacks that never settle. The proxy is in
 * proxy.test.ts, the retry rule step by step in e2e.test.ts and e2e-token-storage.test.ts.
 */
import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';
import { afterEach, describe, expect, it } from 'vitest';

import { loadBuiltConnector } from './built-connector.ts';
import type { FakeXiaomi, FakeXiaomiOptions } from '../fake-xiaomi/index.ts';
import { startFakeXiaomi } from '../fake-xiaomi/index.ts';
import { LogtoHost } from '../fake-logto/logto-host.ts';
import { passConsent } from '../fake-xiaomi/scripted-user.ts';
import { settleTo } from './soak-probes.ts';

const origin = 'https://logto.example.com';
const connectorId = 'xiaomi-networks';
const redirectUri = `${origin}/callback/${connectorId}`;
const fakes: FakeXiaomi[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map(async (fake) => fake.close()));
});

const setUp = async (
  options: FakeXiaomiOptions = {},
  { scope = '1', timeoutMs = 3000 }: { scope?: string; timeoutMs?: number } = {},
) => {
  const fake = await startFakeXiaomi({ apps: [{ redirectUris: [redirectUri] }], ...options });
  fakes.push(fake);
  const { createXiaomiConnector } = await loadBuiltConnector();
  const config = { clientId: fake.app.clientId, clientSecret: fake.app.clientSecret, scope };
  const connector = await createXiaomiConnector({ endpoints: fake.endpoints, timeoutMs })({
    getConfig: async () => config,
  });
  const logto = new LogtoHost(connector, { origin, connectorId });
  const consent = async () => {
    const attempt = await logto.start('sign-in page');
    const consented = await passConsent(attempt.authorizationUri, { decision: 'allow' });
    if (consented.kind !== 'redirected') {
      throw new Error('the consent page must redirect');
    }
    return { attempt, query: consented.query };
  };
  const signIn = async () => {
    const { attempt, query } = await consent();
    return logto.finish(attempt, query);
  };
  /** A sign-in, and how long Logto's `getUserInfo` took (the consent page not counted). */
  const timedSignIn = async () => {
    const { attempt, query } = await consent();
    const begin = performance.now();
    const userInfo = await logto.finish(attempt, query);
    return { userInfo, ms: performance.now() - begin };
  };
  /** `count` sign-ins one right after the other, as a busy Logto runs them. */
  const signInBackToBack = async (count: number) => {
    const { attempt, query } = await consent();
    const codes = fake.issueCodesLike(query['code']!, count - 1);
    const users = [await logto.finish(attempt, query)];
    for (const code of codes) {
      const next = await logto.start('sign-in page');
      users.push(await logto.finish(next, { code, state: next.state }));
    }
    return users;
  };
  return { fake, connector, signIn, timedSignIn, signInBackToBack };
};

const sleep = async (ms: number) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** A promise executor that never calls back. */
const neverSettles = () => undefined;

const failureOf = async (promise: Promise<unknown>): Promise<ConnectorError> => {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
};

describe('connections the network drops', () => {
  it('a request on a connection a load balancer forgot while idle is sent again on a new one, the token exchange included', async () => {
    // The fake forgets a connection after 100 ms idle, without a word: no FIN, no Keep-Alive hint.
    const { fake, signIn } = await setUp({ connections: { idleCloseMs: 100 } });
    await signIn();
    for (let index = 0; index < 5; index++) {
      await sleep(150);
      expect((await signIn()).id).toBe(fake.user.unionId);
    }
    const tokenCalls = fake.requestLog.filter((entry) => entry.path === '/oauth2/token');
    expect(tokenCalls.filter((entry) => entry.outcome === 'dropped').length).toBeGreaterThan(0);
    // Xiaomi read each code once: the dropped requests never reached it.
    expect(tokenCalls.filter((entry) => entry.outcome === 'answered')).toHaveLength(6);
    expect(tokenCalls.every((entry) => entry.xiaomiCode === undefined)).toBe(true);
  });

  it('a server that closes every connection after its answer, unannounced, costs no sign-in', async () => {
    const { fake, signInBackToBack } = await setUp(
      { connections: { closeAfterAnswer: true } },
      { scope: '1 3 4 6' },
    );
    const users = await signInBackToBack(40);
    expect(users.map((user) => user.id)).toEqual(Array(40).fill(fake.user.unionId));
  });

  it('idle connections are closed after 4 s, before common load balancers drop them', async () => {
    // A server that would keep them a minute: the connector is the one that lets go.
    const { fake, signIn } = await setUp({ keepAliveTimeoutMs: 60_000 });
    await signIn();
    expect(await fake.openConnections()).toBeGreaterThan(0);
    await sleep(3000);
    expect(await fake.openConnections()).toBeGreaterThan(0);
    expect(await settleTo(async () => fake.openConnections(), 0, 2000)).toBe(0);
  }, 15_000);
});

describe('time', () => {
  it('a stalled profile call is given up after 40% of the bound and tried again: the user signs in', async () => {
    const { fake, timedSignIn } = await setUp({}, { timeoutMs: 1000 });
    fake.scriptFaults('/user/profile', ['stall']);
    const { userInfo, ms } = await timedSignIn();
    expect(userInfo.id).toBe(fake.user.unionId);
    expect(ms).toBeGreaterThanOrEqual(400 - 20);
    expect(ms).toBeLessThan(1000);
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
    const { fake, signIn } = await setUp(
      { faults: { latencyMs: 30 } },
      { scope: '1 3 4 6', timeoutMs: 4000 },
    );
    const userInfo = await signIn();
    expect(userInfo).toMatchObject({ id: fake.user.unionId, email: fake.user.email });
    expect(userInfo.rawData).toHaveProperty('openId');
  });

  it('a sign-in whose session store never answers fails with general within the bound', async () => {
    const { connector } = await setUp({}, { timeoutMs: 300 });
    const begin = Date.now();
    // What Logto's getSession does when its session storage hangs: its promise never settles.
    const error = await failureOf(
      connector.getUserInfo({ redirectUri, code: 'code' }, async () => new Promise(neverSettles)),
    );
    expect(Date.now() - begin).toBeLessThan(300 + 300);
    expect(error.code).toBe(ConnectorErrorCodes.General);
    expect(JSON.stringify(error.data)).toContain('getSession in time');
  });

  it.each(['getConfig', 'setSession'] as const)(
    'a sign-in page whose %s never settles fails with general within the bound',
    async (call) => {
      const fake = await startFakeXiaomi();
      fakes.push(fake);
      const { createXiaomiConnector } = await loadBuiltConnector();
      const config = { clientId: fake.app.clientId, clientSecret: fake.app.clientSecret };
      const never = async () => new Promise<never>(neverSettles);
      const connector = await createXiaomiConnector({ endpoints: fake.endpoints, timeoutMs: 300 })({
        getConfig: call === 'getConfig' ? never : async () => config,
      });
      const begin = Date.now();
      const error = await failureOf(
        connector.getAuthorizationUri(
          {
            state: 's',
            redirectUri,
            connectorId,
            connectorFactoryId: connector.metadata.id,
            jti: 'j',
            headers: {},
          },
          call === 'setSession' ? never : async () => undefined,
        ),
      );
      expect(Date.now() - begin).toBeLessThan(300 + 300);
      expect(error.code).toBe(ConnectorErrorCodes.General);
      expect(JSON.stringify(error.data)).toContain(`${call} in time`);
    },
  );
});
