// `npm run demo` without a browser: what its page shows after a sign-in (driven over HTTP the way a
// browser would), and how the command behaves with PORT and signals. demo.browser.test.ts drives
// the same page in Chromium.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Demo } from '../../demo/server.ts';
import { parsePort, startDemo } from '../../demo/server.ts';
import { plainRequest } from '../../fakes/network/http-client.ts';
import { passConsent } from '../../fakes/user/scripted-user.ts';

const tsx = path.resolve('node_modules/.bin/tsx');

/** `npm run demo` as a child process, its output collected. */
const runDemo = (env: Record<string, string>) => {
  const child = spawn(tsx, ['demo/server.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const opened = async () => {
    while (!/open (http:\S+)/.test(output.stdout)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the demo exited with ${String(child.exitCode)}: ${output.stderr}`);
      }
      await sleep(50);
    }
    return /open (http:\S+)/.exec(output.stdout)![1]!;
  };
  return { child, output, exited, opened };
};

describe('the demo page after a sign-in the user allowed', () => {
  let demo: Demo;
  let page: string;

  beforeAll(async () => {
    demo = await startDemo({ port: 0 });
    const start = await plainRequest(`${demo.url}sign-in?scope=3&scope=4&scope=6`);
    const cookie = String(start.headers['set-cookie']).split(';')[0]!;
    const consent = await passConsent(String(start.headers.location), { decision: 'allow' });
    if (consent.kind !== 'redirected') {
      throw new Error(`consent refused: ${JSON.stringify(consent)}`);
    }
    const callback = await plainRequest(consent.location.href, { headers: { cookie } });
    expect(callback.status).toBe(200);
    page = callback.body;
  });

  afterAll(async () => {
    await demo?.close();
  });

  it('hides the access and refresh tokens and the MAC key, as it hides the client secret', () => {
    expect(page).toContain('client_secret=(hidden)');
    expect(page).toContain('token=(hidden)');
    for (const key of ['access_token', 'refresh_token', 'mac_key']) {
      expect(page).toContain(`&quot;${key}&quot;:&quot;(hidden)&quot;`);
      expect(page).not.toMatch(new RegExp(`&quot;${key}&quot;:&quot;(?!\\(hidden\\))`));
    }
  });

  it('lists the calls in the order Xiaomi received them and marks the Open API calls that ran in parallel', () => {
    const rows = [...page.matchAll(/<tr data-call="([^"]+)" data-parallel="(yes|no)">/g)].map(
      ([, call = '', parallel]) => `${call.toLowerCase()} ${parallel}`,
    );
    // The Open API calls in any order: they ran at once.
    expect([...rows.slice(0, 3), ...rows.slice(3).sort()]).toEqual([
      '/oauth2/authorize no',
      '/oauth2/authorize/decision no',
      '/oauth2/token no',
      '/user/openidv2 yes',
      '/user/phoneandemail yes',
      '/user/profile yes',
    ]);
    expect(page).toContain('those rows ran in parallel');
  });

  it('answers the browser’s /favicon.ico with the logo instead of a 404', async () => {
    const favicon = await plainRequest(`${demo.url}favicon.ico`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers['content-type']).toBe('image/svg+xml');
    expect(favicon.body).toContain('<svg');
  });
});

describe('npm run demo on the command line', () => {
  it('refuses a PORT that is not a port number with one line, not a stack trace', async () => {
    expect(parsePort('8080')).toBe(8080);
    expect(parsePort('0')).toBe(0);
    for (const value of ['abc', '-1', '65536', '80.5', '']) {
      expect(parsePort(value)).toMatch(/^PORT=.* is not a port number/);
    }
    const demo = runDemo({ PORT: 'abc' });
    expect(await demo.exited).toBe(1);
    expect(demo.output.stderr.trim().split('\n')).toEqual([
      'connector-xiaomi demo: PORT=abc is not a port number (0 to 65535; 0 picks a free one).',
    ]);
  });

  it('stops with one line when the PORT asked for is taken, instead of picking another', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const { port } = taken.address() as AddressInfo;
      const demo = runDemo({ PORT: String(port) });
      expect(await demo.exited).toBe(1);
      expect(demo.output.stdout).not.toContain('open http');
      expect(demo.output.stderr.trim()).toBe(
        `connector-xiaomi demo: port ${port} (PORT) is taken; stop what uses it or set another PORT.`,
      );
    } finally {
      taken.close();
    }
  });

  it('closes its servers and exits on SIGTERM', async () => {
    const demo = runDemo({ PORT: '0' });
    const url = await demo.opened();
    expect((await plainRequest(url)).status).toBe(200);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    await expect(plainRequest(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
