/**
 * Logto's outbound proxy (docs/install.md, "Outbound proxy"): the built connector in a Node 22
 * process of its own (connector-process.ts), configured only through the
 * environment, as a self-hoster configures Logto. The fake Xiaomi serves HTTPS under
 * `xiaomi.invalid`, a name no resolver knows, so the CONNECT proxy on loopback is the only way to
 * it; `NODE_EXTRA_CA_CERTS` trusts its certificate, as for a private CA.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { node22 } from '../../scripts/node22.mjs';
import { startConnectProxy, type ConnectProxy } from '../../fakes/network/connect-proxy.ts';
import type { Job, StepResult } from './connector-process.ts';
import {
  startFakeXiaomi,
  type FakeXiaomi,
  type RequestLogEntry,
} from '../../fakes/xiaomi/index.ts';
import { passConsent } from '../../fakes/user/scripted-user.ts';
import { certFile, fakeTls, unresolvableHost } from '../../fakes/network/tls.ts';

const origin = 'https://logto.example.com';
const connectorId = 'xiaomi-proxy';
const redirectUri = `${origin}/callback/${connectorId}`;
let fake: FakeXiaomi;
let proxy: ConnectProxy;
/** The fake under its own name, `https://xiaomi.invalid:<port>`: reachable through the proxy only. */
let named: Job['endpoints'];
/** The same fake as `https://127.0.0.1:<port>`: reachable directly. */
let direct: Job['endpoints'];
let config: Record<string, unknown>;
/** What a self-hoster sets to send Logto's outbound calls through the proxy. */
let proxied: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeXiaomi({
    apps: [{ redirectUris: [redirectUri] }],
    tls: fakeTls,
    hostname: unresolvableHost,
  });
  proxy = await startConnectProxy();
  proxied = { NODE_USE_ENV_PROXY: '1', HTTPS_PROXY: proxy.url };
  named = fake.endpoints;
  direct = Object.fromEntries(
    Object.entries(named).map(([key, url]) => [key, url.replace(unresolvableHost, '127.0.0.1')]),
  ) as Job['endpoints'];
  config = {
    clientId: fake.app.clientId,
    clientSecret: fake.app.clientSecret,
    scope: '1 3 4 6',
    redirectUri,
  };
});

afterAll(async () => Promise.all([fake.close(), proxy.close()]));

beforeEach(() => {
  fake.clearLog();
  proxy.reset();
});

/** Codes as the consent page issues them, for the redirect URI the child's Logto uses. */
const mint = async (count: number): Promise<string[]> => {
  const authorize = new URL(direct.authorize);
  authorize.search = new URLSearchParams({
    client_id: fake.app.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: '1 3 4 6',
    state: 'proxy-test',
  }).toString();
  const outcome = await passConsent(authorize.href, { decision: 'allow' });
  if (outcome.kind !== 'redirected' || !outcome.query['code']) {
    throw new Error('the fake issued no code');
  }
  const codes = [outcome.query['code'], ...fake.issueCodesLike(outcome.query['code'], count - 1)];
  fake.clearLog();
  return codes;
};

type Run = { node: string; signIns: StepResult[]; refreshes: StepResult[]; fetched?: number };

/** Runs a job in a fresh process with only the given proxy variables set. */
const runConnector = async (
  env: Record<string, string>,
  job: Partial<Job> & Pick<Job, 'endpoints'>,
  node?: string,
): Promise<Run> => {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(node_use_env_proxy|\w+_proxy)$/i.test(key)),
  );
  const { stdout } = await promisify(execFile)(
    node ?? (await node22()),
    [
      '--import',
      'tsx',
      'test/sockets/connector-process.ts',
      JSON.stringify({ config, origin, connectorId, codes: [], ...job } satisfies Job),
    ],
    { env: { ...inherited, NODE_EXTRA_CA_CERTS: certFile, ...env }, timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Run;
};

const xiaomiCalls = () =>
  fake.requestLog.filter((entry) => entry.target === 'token' || entry.target === 'openApi');
const throughProxy = (entry: RequestLogEntry) => proxy.upstreamPorts.has(entry.remotePort);

describe('Logto’s outbound proxy, as Node itself honours it', () => {
  it('with NODE_USE_ENV_PROXY=1, every Xiaomi call goes through HTTPS_PROXY, on kept-alive tunnels', async () => {
    const codes = await mint(5);
    const run = await runConnector(proxied, { endpoints: named, codes });
    expect(run.node).toMatch(/^v22\./);
    expect(run.signIns).toEqual(Array(5).fill({ ok: true, id: fake.user.unionId }));
    const calls = xiaomiCalls();
    // A token exchange and three Open API calls per sign-in.
    expect(calls).toHaveLength(20);
    expect(calls.every(throughProxy)).toBe(true);
    // Keep-alive through the proxy: far fewer tunnels than calls.
    expect(proxy.tunnels).toBeLessThanOrEqual(6);
  });

  it('without NODE_USE_ENV_PROXY, HTTPS_PROXY alone is ignored, by the connector as by Node’s fetch', async () => {
    const codes = await mint(2);
    const run = await runConnector(
      { HTTPS_PROXY: proxy.url },
      { endpoints: direct, codes, fetch: `${direct.openApi}/user/profile` },
    );
    expect(run.signIns).toEqual(Array(2).fill({ ok: true, id: fake.user.unionId }));
    expect(run.fetched).toBe(200);
    expect(fake.requestLog.length).toBeGreaterThan(8);
    expect(fake.requestLog.some(throughProxy)).toBe(false);
    expect(proxy.tunnels).toBe(0);
  });

  it('hosts listed in NO_PROXY are reached directly, the others through the proxy', async () => {
    const codes = await mint(2);
    // The token exchange under the fake's own name, the Open API at 127.0.0.1, which NO_PROXY lists.
    const run = await runConnector(
      { ...proxied, NO_PROXY: '127.0.0.1' },
      { endpoints: { ...named, openApi: direct.openApi }, codes, fetch: named.token },
    );
    expect(run.signIns).toEqual(Array(2).fill({ ok: true, id: fake.user.unionId }));
    const tokenCalls = xiaomiCalls().filter((entry) => entry.target === 'token');
    const openApiCalls = xiaomiCalls().filter((entry) => entry.target === 'openApi');
    expect(tokenCalls.every(throughProxy)).toBe(true);
    expect(openApiCalls).toHaveLength(6);
    expect(openApiCalls.some(throughProxy)).toBe(false);
    // Node's fetch, told the same, sent its request through the proxy too.
    expect(fake.requestLog.at(-1)).toMatchObject({ method: 'GET', path: '/oauth2/token' });
    expect(throughProxy(fake.requestLog.at(-1)!)).toBe(true);
  });

  it('a refresh whose tunnel the proxy refused is tried again, since Xiaomi never saw it', async () => {
    const [code] = await mint(1);
    const signedIn = await runConnector(proxied, {
      endpoints: named,
      codes: [code!],
      keepTokens: true,
    });
    const { refreshToken } = signedIn.signIns[0] as { refreshToken: string };
    fake.clearLog();
    proxy.reset();
    proxy.refuseNext(1);
    const run = await runConnector(proxied, { endpoints: named, refreshTokens: [refreshToken] });
    expect(run.refreshes).toEqual([{ ok: true, refreshToken: expect.any(String) }]);
    expect(proxy.refused).toBe(1);
    expect(fake.requestLog.filter((entry) => entry.target === 'token')).toHaveLength(1);
  });

  it.runIf(!process.versions.node.startsWith('22.'))(
    'Node versions without proxy support ignore the variables, as their own clients do',
    async () => {
      const codes = await mint(1);
      const run = await runConnector(proxied, { endpoints: direct, codes }, process.execPath);
      expect(run.node).toBe(process.version);
      expect(run.signIns).toEqual([{ ok: true, id: fake.user.unionId }]);
      expect(fake.requestLog.some(throughProxy)).toBe(false);
    },
  );
});
