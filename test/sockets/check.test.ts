// The admin's self-check (lib/check.js) run as Node runs it on the Logto host, against the fake
// Xiaomi over loopback.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultApp, startFakeXiaomi, type FakeXiaomi } from '../../fake-xiaomi/index.ts';

const callback = 'https://logto.example/callback/abc123';
let fake: FakeXiaomi;
let dir: string;

const run = async (config: unknown, args: string[], tokenUrl?: string) => {
  const file = join(dir, `c${Math.random()}.json`);
  await writeFile(file, JSON.stringify(config));
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      ['lib/check.js', '--config', file, '--timeout-ms', '3000', ...args],
      { env: { ...process.env, XIAOMI_CHECK_TOKEN_URL: tokenUrl ?? fake.endpoints.token } },
      (error, stdout, stderr) => {
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, out: stdout + stderr });
      },
    );
  });
};

const good = { clientId: defaultApp.clientId, clientSecret: defaultApp.clientSecret };

beforeAll(async () => {
  fake = await startFakeXiaomi({ apps: [{ redirectUris: [callback] }] });
  dir = await mkdtemp(join(tmpdir(), 'check-'));
});
afterAll(async () => fake.close());

describe('lib/check.js', () => {
  it('exits 0 when the config, the callback URL and Xiaomi all agree', async () => {
    const { code, out } = await run(good, ['--callback', callback]);
    expect(out).toContain('96013');
    expect(out).not.toContain(good.clientSecret);
    expect(code).toBe(0);
  });
  it('exits 1 naming the AppID when Xiaomi does not know it', async () => {
    const { code, out } = await run({ ...good, clientId: '1' }, ['--callback', callback]);
    expect(out).toContain('96001');
    expect(out).not.toContain(good.clientSecret);
    expect(code).toBe(1);
  });
  it('exits 1 naming the secret when it does not match, and never prints it', async () => {
    const secret = 'wrong-secret-Zq81';
    const { code, out } = await run({ ...good, clientSecret: secret }, ['--callback', callback]);
    expect(out).toContain('96003');
    expect(out).not.toContain(secret);
    expect(code).toBe(1);
  });
  it('exits 3 when Xiaomi cannot be reached', async () => {
    const { code, out } = await run(
      good,
      ['--callback', callback],
      'http://127.0.0.1:1/oauth2/token',
    );
    expect(out).toContain('could not be reached');
    expect(code).toBe(3);
  });
  it('exits 1 naming the field of a malformed config', async () => {
    const { code, out } = await run({ clientId: 5 }, []);
    expect(out).toContain('PROBLEM');
    expect(code).toBe(1);
  });
  it('exits 1 for a callback URL of a shape Logto does not use', async () => {
    const { code, out } = await run(good, ['--callback', 'https://logto.example/sign-in/abc123']);
    expect(out).toContain('not a callback URL Logto uses');
    expect(code).toBe(1);
  });
  it('exits 2 on a usage error', async () => {
    const { code } = await run(good, ['--bogus']);
    expect(code).toBe(2);
  });
});
