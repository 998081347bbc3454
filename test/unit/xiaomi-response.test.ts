import { describe, expect, it } from 'vitest';

import { redact } from '../../src/errors.ts';
import { decodeOpenApiResponse, decodeTokenResponse } from '../../src/xiaomi-response.ts';

const ok = (body: string) => ({ status: 200, body });

describe('decoding Xiaomi’s answers', () => {
  it('takes the first of two keys that differ only by stray spaces', () => {
    const decoded = decodeTokenResponse('token', ok('{"access_token":"a","access_token ":"b"}'));
    expect(decoded).toMatchObject({ ok: true, value: { accessToken: 'a' } });
  });

  it('reads numbers sent where strings are expected', () => {
    const decoded = decodeTokenResponse(
      'token',
      ok('{"access_token":"a","scope":1,"refresh_token":42}'),
    );
    expect(decoded).toMatchObject({ ok: true, value: { scope: '1', refreshToken: '42' } });
  });

  it('treats error code 0 as success in an Open API envelope', () => {
    const decoded = decodeOpenApiResponse('profile', ok('{"code":"0","data":{"unionId":"u"}}'));
    expect(decoded).toEqual({ ok: true, value: { unionId: 'u' } });
  });

  it('keeps a non-numeric Xiaomi error code as text', () => {
    const decoded = decodeTokenResponse('token', ok('{"error":"invalid_client"}'));
    expect(decoded).toMatchObject({
      ok: false,
      failure: { kind: 'xiaomi', xiaomiCode: 'invalid_client' },
    });
  });

  it('redacts every sensitive value before shortening, and ignores empty ones', () => {
    const secret = 's3cret';
    const text = `${'x'.repeat(197)}${secret}`;
    expect(redact(text, ['', secret])).toBe(`${'x'.repeat(197)}[re`);
  });
});
