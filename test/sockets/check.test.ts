/**
 * The admin's self-check (lib/check.js) run as Node runs it on the Logto host, against the fake
 * Xiaomi over loopback; through Logto's outbound proxy, under Node 22 (test/sockets/proxy.test.ts
 * for the connector's own calls).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { node22 } from '../../scripts/node22.mjs';
import { startConnectProxy, type ConnectProxy } from '../../fakes/network/connect-proxy.ts';
import { certFile, fakeTls, unresolvableHost } from '../../fakes/network/tls.ts';
import { defaultApp, startFakeXiaomi, type FakeXiaomi } from '../../fakes/xiaomi/index.ts';

const callback = 'https://logto.example/callback/abc123';
let fake: FakeXiaomi;
/** The fake under a name no resolver knows: reachable through the proxy only. */
let hidden: FakeXiaomi;
let proxy: ConnectProxy;
let configFile: string;

const good = { clientId: defaultApp.clientId, clientSecret: defaultApp.clientSecret };

/** lib/check.js as Node runs it on the Logto host, asking `tokenUrl` about the config `good`. */
const run = async (
  args: string[],
  tokenUrl = fake.endpoints.token,
  { node = process.execPath, env = {} }: { node?: string; env?: Record<string, string> } = {},
) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      node,
      ['lib/check.js', '--config', configFile, '--timeout-ms', '3000', ...args],
      {
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: certFile,
          XIAOMI_CHECK_TOKEN_URL: tokenUrl,
          ...env,
        },
      },
      (error, stdout, stderr) => {
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, out: stdout + stderr });
      },
    );
  });

beforeAll(async () => {
  fake = await startFakeXiaomi({ apps: [{ redirectUris: [callback] }] });
  hidden = await startFakeXiaomi({
    apps: [{ redirectUris: [callback] }],
    tls: fakeTls,
    hostname: unresolvableHost,
  });
  proxy = await startConnectProxy();
  configFile = join(await mkdtemp(join(tmpdir(), 'check-')), 'config.json');
  await writeFile(configFile, JSON.stringify(good));
});
afterAll(async () => Promise.all([fake.close(), hidden.close(), proxy.close()]));

/** The check under Node 22, reaching the fake through Logto's outbound proxy only. */
const runThroughProxy = async () =>
  run(['--callback', callback], hidden.endpoints.token, {
    node: await node22(),
    env: { NODE_USE_ENV_PROXY: '1', HTTPS_PROXY: proxy.url },
  });

// What each of Xiaomi's codes, no answer at all, a malformed config, the other bad callback URLs
// and the other usage errors make it say: test/unit/check.test.ts, in memory.
describe('lib/check.js', () => {
  it('exits 0 when the config, the callback URL and Xiaomi all agree', async () => {
    const { code, out } = await run(['--callback', callback]);
    expect(out).toContain('96013');
    expect(out).not.toContain(good.clientSecret);
    expect(code).toBe(0);
  });
  it('exits 3 when Xiaomi’s host name does not resolve', async () => {
    const { code, out } = await run(['--callback', callback], hidden.endpoints.token);
    expect(out).toContain('could not be reached (ENOTFOUND)');
    expect(code).toBe(3);
  });
  it('asks Xiaomi through Logto’s outbound proxy (NODE_USE_ENV_PROXY=1, Node 22)', async () => {
    const tunnels = proxy.tunnels;
    const { code, out } = await runThroughProxy();
    expect(out).toContain('96013');
    expect(code).toBe(0);
    expect(proxy.tunnels).toBeGreaterThan(tunnels);
  });
  it('exits 3 with a clear sentence when the proxy refuses the tunnel', async () => {
    proxy.refuseNext(2);
    const { code, out } = await runThroughProxy();
    expect(out).toMatch(/UNKNOWN: Xiaomi could not be reached \([A-Za-z_ ]+\)\. Fix: .*proxy/);
    expect(code).toBe(3);
  });
  it('exits 1 naming the callback URL Xiaomi has not registered (96010)', async () => {
    const other = 'https://logto.example/account/callback/social/abc123';
    const { code, out } = await run(['--callback', callback, '--callback', other]);
    expect(out).toContain(`${other} as a callback URL of this app (96010)`);
    expect(out).toContain(`With ${callback}, Xiaomi refused only the made-up code (96013)`);
    expect(code).toBe(1);
  });
  it('exits 2 with the usage on an unknown flag', async () => {
    const { code, out } = await run(['--callback', callback, '--bogus', 'x']);
    expect(out).toContain('usage: check.js');
    expect(code).toBe(2);
  });
});
