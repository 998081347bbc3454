import { describe, expect, it } from 'vitest';

import { Secrets } from '../../src/operation.ts';
import { decodeOpenApiResponse, decodeTokenResponse } from '../../src/xiaomi-answers.ts';

const ok = (body: string) => ({ status: 200, body });

describe('decoding Xiaomi’s answers', () => {
  it('takes the first of two keys that differ only by stray spaces', () => {
    const decoded = decodeTokenResponse(ok('{"access_token":"a","access_token ":"b"}'));
    expect(decoded).toMatchObject({ ok: true, value: { accessToken: 'a' } });
  });

  it('reads expires_in sent as a numeric string, a documented Xiaomi quirk', () => {
    const decoded = decodeTokenResponse(ok('{"access_token":"a","expires_in":"60"}'));
    expect(decoded).toMatchObject({ ok: true, value: { expiresIn: 60 } });
  });

  it.each([
    ['a numeric access_token', '{"access_token":123}', 'access_token'],
    ['an access_token object', '{"access_token":{"v":"a"}}', 'access_token'],
    ['a blank access_token', '{"access_token":"  "}', 'access_token'],
    [
      'an access_token over 4096 characters',
      `{"access_token":"${'a'.repeat(4097)}"}`,
      'access_token',
    ],
    ['a numeric refresh_token', '{"access_token":"a","refresh_token":42}', 'refresh_token'],
    ['a numeric scope', '{"access_token":"a","scope":1}', 'scope'],
    ['a mac_key array', '{"access_token":"a","mac_key":["k"]}', 'mac_key'],
    ['expires_in as text', '{"access_token":"a","expires_in":"soon"}', 'expires_in'],
  ])('refuses a token answer with %s: a wrong type is never coerced', (_, body, field) => {
    const decoded = decodeTokenResponse(ok(body));
    expect(decoded).toMatchObject({ ok: false, failure: { kind: 'unexpected' } });
    expect(JSON.stringify(decoded)).toContain(field);
  });

  it.each([
    ['true', true],
    ['an object', { code: 96008 }],
    ['an empty string', ''],
    ['text', 'invalid_client'],
  ])(
    'never reads an error field that is %s as success, even beside an access token',
    (_, error) => {
      const decoded = decodeTokenResponse(
        ok(JSON.stringify({ error, access_token: 'a', error_description: 'x' })),
      );
      expect(decoded).toMatchObject({ ok: false, failure: { kind: 'xiaomi', xiaomiCode: error } });
    },
  );

  it.each([
    ['true', true],
    ['an array', [96008]],
    ['text', 'bad'],
  ])('never reads an Open API code that is %s as success', (_, code) => {
    const decoded = decodeOpenApiResponse(
      ok(JSON.stringify({ result: 'ok', code, data: { unionId: 'u' } })),
    );
    expect(decoded).toMatchObject({ ok: false, failure: { kind: 'xiaomi' } });
  });

  it('treats error code 0, as a number or a string, as success in an Open API envelope', () => {
    for (const code of [0, '0']) {
      const decoded = decodeOpenApiResponse(ok(JSON.stringify({ code, data: { unionId: 'u' } })));
      expect(decoded).toEqual({ ok: true, value: { unionId: 'u' } });
    }
  });

  it('reads a numeric code sent as a string as the number, a documented Xiaomi quirk', () => {
    const decoded = decodeTokenResponse(ok('{"error":" 96013 "}'));
    expect(decoded).toMatchObject({ ok: false, failure: { xiaomiCode: 96013 } });
  });

  it.each([
    ['true', true],
    ['"error"', 'error'],
  ])('refuses an envelope whose result is %s without a code', (_, result) => {
    const decoded = decodeOpenApiResponse(ok(JSON.stringify({ result, data: { unionId: 'u' } })));
    expect(decoded).toMatchObject({ ok: false, failure: { kind: 'unexpected' } });
  });
});

const redact = (text: string, ...values: string[]) => {
  const secrets = new Secrets();
  secrets.add(...values);
  return secrets.redact(text);
};

describe('redaction', () => {
  const secret = 'iNb/7vbs+Qw==';

  it.each([
    ['as is', secret],
    ['URL-encoded', encodeURIComponent(secret)],
    [
      'URL-encoded with lower-case escapes',
      encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    ],
    ['form-encoded', new URLSearchParams({ s: secret }).toString().slice(2)],
    ['encoded twice', encodeURIComponent(encodeURIComponent(secret))],
    ['partly encoded', 'iNb%2F7vbs+Qw%3D%3D'],
  ])('removes a secret echoed %s', (_, echoed) => {
    const text = redact(`bad client_secret=${echoed} given`, secret);
    expect(text).toBe('bad client_secret=[redacted] given');
  });

  it('ignores empty sensitive values and leaves other text alone', () => {
    expect(redact('100% sure', '', 'absent')).toBe('100% sure');
  });
});
