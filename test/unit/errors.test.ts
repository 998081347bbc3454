import { afterEach, describe, expect, it, vi } from 'vitest';

import { toConnectorError, userMessages } from '../../src/errors.ts';
import { Secrets } from '../../src/operation.ts';

const secretsOf = (...values: string[]) => {
  const secrets = new Secrets();
  secrets.add(...values);
  return secrets;
};

const secret = 'sEcReT-value-0123456789';

afterEach(() => {
  vi.restoreAllMocks();
});

const silenced = () => vi.spyOn(console, 'error').mockImplementation(() => undefined);

describe('making errors', () => {
  it('cuts Xiaomi’s description to 200 characters only after redacting, so no piece of a secret is left', () => {
    const description = `${'x'.repeat(180)}${secret}${'y'.repeat(100)}`;
    const { data } = toConnectorError(
      { kind: 'xiaomi', step: 'token', xiaomiCode: 96002, description },
      secretsOf(secret),
    );
    const quoted = (data as { xiaomiDescription: string }).xiaomiDescription;
    expect(Array.from(quoted)).toHaveLength(200);
    expect(quoted.endsWith('…')).toBe(true);
    expect(quoted).toContain('[redacted]');
    expect(quoted).not.toContain(secret.slice(0, 4));
  });

  it('keeps a network reason only when it is a short code, never a message with a URL', () => {
    const { data } = toConnectorError({
      kind: 'network',
      step: 'profile',
      reason: 'getaddrinfo ENOTFOUND https://open.account.xiaomi.com/user/profile?token=t',
    });
    expect((data as { hint: string }).hint).toContain('(failed)');
    expect(JSON.stringify(data)).not.toContain('token=');
  });

  // Unknown codes: authorization_failed on the callback (callback.test.ts, access_denied), general
  // elsewhere (token-exchange.test.ts, 99999).
});

describe('an unexpected failure', () => {
  it('logs whatever was thrown, even a string, redacted, and keeps it out of data', () => {
    const log = silenced();
    const error = toConnectorError(
      { kind: 'internal', operation: 'getUserInfo', cause: `boom ${secret}` },
      secretsOf(secret),
    );
    expect(error.data).toEqual({
      errorDescription: userMessages.failed,
      hint: expect.stringContaining('(string)') as unknown,
    });
    expect(log).toHaveBeenCalledWith(
      'connector-xiaomi: getUserInfo failed unexpectedly: string: boom [redacted]',
    );
  });

  it('survives an error whose name and message throw, and names it only by a code word', () => {
    const log = silenced();
    const cause = new Error('x');
    Object.defineProperty(cause, 'name', { value: 'not a name!' });
    Object.defineProperty(cause, 'message', {
      get() {
        throw new Error('no message');
      },
    });
    const error = toConnectorError({ kind: 'internal', operation: 'getUserInfo', cause });
    expect((error.data as { hint: string }).hint).toContain('(error)');
    expect(log).toHaveBeenCalledWith('connector-xiaomi: getUserInfo failed unexpectedly: error: ');
    expect(error.cause).toBe(cause);
  });

  it('logs an object that cannot be turned into text without throwing', () => {
    const log = silenced();
    toConnectorError({ kind: 'internal', operation: 'refresh', cause: Object.create(null) });
    expect(log).toHaveBeenCalledWith('connector-xiaomi: refresh failed unexpectedly: object: ');
  });
});
