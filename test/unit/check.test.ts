/**
 * The admin's self-check (src/check.ts) in memory: what each of Xiaomi's answers lets it say.
 * As an admin runs it, over sockets against the fake Xiaomi and through a proxy:
 * test/sockets/check.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { runCheck } from '../../src/check.ts';
import { MemoryXiaomi, type Answer } from './memory-xiaomi.ts';

const callback = 'https://auth.example.com/callback/abc123';
const config = { clientId: '2882303761520000001', clientSecret: 'sEcReT-value-0123456789' };

const check = async (
  answer: Answer | undefined,
  argv: string[] = ['--callback', callback],
  configFile = JSON.stringify(config),
) => {
  const xiaomi = new MemoryXiaomi();
  if (answer) xiaomi.answer('POST /oauth2/token', answer, 2);
  const lines: string[] = [];
  const code = await runCheck(['--config', 'c.json', ...argv], {
    read: async () => configFile,
    write: (line) => lines.push(line),
    env: {},
    send: xiaomi.send,
  });
  const out = lines.join('\n');
  expect(out).not.toContain(config.clientSecret);
  return { code, out, xiaomi };
};

const xiaomiError = (code: number): Answer => ({
  body: `&&&START&&&{"error":${code},"error_description":"x"}`,
});

describe('the self-check', () => {
  it('exchanges a code that cannot exist, for the callback given, with the secret in the form', async () => {
    const { xiaomi } = await check(xiaomiError(96013));
    const form = xiaomi.sentTo('POST /oauth2/token')[0]!.form!;
    expect(form.get('redirect_uri')).toBe(callback);
    expect(form.get('client_secret')).toBe(config.clientSecret);
    expect(form.get('code')).toMatch(/self-check/);
  });

  it.each([
    [96013, 0, 'refused only the made-up code'],
    [96001, 1, 'does not know this AppID'],
    [96003, 1, 'AppSecret does not match'],
    [96010, 1, 'as a callback URL of this app (96010)'],
    [96007, 3, 'says nothing certain'],
  ])('reads Xiaomi error %i as exit %i: %s', async (xiaomiCode, exit, said) => {
    const { code, out } = await check(xiaomiError(xiaomiCode));
    expect(out).toContain(said);
    expect(code).toBe(exit);
  });

  it.each([
    [
      'tokens for a code that cannot exist',
      { body: '&&&START&&&{"access_token":"AT-1"}' },
      'accepted a code',
    ],
    [
      'a page that is not Xiaomi’s',
      { status: 502, body: '<html>proxy</html>' },
      'not one the check knows',
    ],
    [
      'no answer at all',
      { fails: 'ECONNREFUSED', reached: false },
      'could not be reached (ECONNREFUSED)',
    ],
  ] as const)('says nothing can be concluded from %s (exit 3)', async (_, answer, said) => {
    const { code, out } = await check(answer as Answer);
    expect(out).toContain(said);
    expect(code).toBe(3);
  });

  it('gives up within its time limit when Xiaomi never answers', async () => {
    const { code, out } = await check('stall', ['--callback', callback, '--timeout-ms', '100']);
    expect(out).toContain('could not be reached (timed out)');
    expect(code).toBe(3);
  });

  it('asks Xiaomi nothing when the config does not parse', async () => {
    const { code, out, xiaomi } = await check(undefined, undefined, '{"clientId":"AppID-1"}');
    expect(out).toContain('PROBLEM: clientId: Client ID must be the numeric AppID');
    expect(out).toContain('PROBLEM: clientSecret: Client Secret is required');
    expect(xiaomi.sent).toEqual([]);
    expect(code).toBe(1);
  });

  it('exits 2 when the config file is not JSON', async () => {
    expect((await check(undefined, undefined, 'clientId=1')).code).toBe(2);
  });

  it.each([
    [
      'the account center’s callback of Logto 1.42',
      'https://auth.example.com/account/callback/social/abc123',
    ],
    ['http on localhost, where Logto runs for a trial', 'http://localhost:3001/callback/abc123'],
  ])('accepts %s and asks Xiaomi about it', async (_, url) => {
    const { code, xiaomi } = await check(xiaomiError(96013), ['--callback', url]);
    expect(xiaomi.sentTo('POST /oauth2/token')[0]!.form!.get('redirect_uri')).toBe(url);
    expect(code).toBe(0);
  });

  it('asks Xiaomi nothing about a callback that is not a URL', async () => {
    const { code, out, xiaomi } = await check(undefined, ['--callback', 'auth.example.com']);
    expect(out).toContain('is not a URL');
    expect(xiaomi.sent).toEqual([]);
    expect(code).toBe(1);
  });

  it.each([
    [
      'a page that is not a callback',
      'https://auth.example.com/sign-in/abc123',
      'not a callback URL',
    ],
    ['a fragment', 'https://auth.example.com/callback/abc123#x', 'not a callback URL'],
    ['a trailing slash', 'https://auth.example.com/callback/abc123/', 'not a callback URL'],
    ['a query', 'https://auth.example.com/callback/abc123?x=1', 'not a callback URL'],
    ['plain http', 'http://auth.example.com/callback/abc123', 'not https'],
    [
      'another connector',
      'https://auth.example.com/callback/other',
      'connector other, not of abc123',
    ],
  ])('asks Xiaomi nothing about a callback URL with %s, and says the fix', async (_, url, said) => {
    const { code, out, xiaomi } = await check(undefined, [
      '--connector-id',
      'abc123',
      '--callback',
      url,
    ]);
    expect(out).toContain(said);
    expect(out).toContain('Fix:');
    expect(xiaomi.sent).toEqual([]);
    expect(code).toBe(1);
  });

  it.each([
    ['a flag without its value', ['--callback']],
    ['a time limit that is not a number', ['--callback', callback, '--timeout-ms', 'soon']],
    ['no callback URL', []],
  ])('exits 2 with the usage for %s', async (_, argv) => {
    const { code, out } = await check(undefined, argv);
    expect(out).toContain('usage: check.js');
    expect(code).toBe(2);
  });
});
