import type { ConnectorSession, GetSession } from '@logto/connector-kit';

import { toConnectorError } from './errors.ts';

export type Callback = {
  code: string;
  redirectUri: string;
  /** Scopes requested in step 1, when the session still holds them. */
  requestedScope?: string;
};

const maxCodeLength = 2048;

const field = (data: Record<string, unknown>, key: string): string | undefined => {
  const value = data[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * Logto's admin and account APIs pass a `getSession` that throws synchronously; the sign-in must
 * still work there, from what the callback data carries.
 */
const readSession = async (getSession: GetSession): Promise<ConnectorSession | undefined> => {
  try {
    return await getSession();
  } catch {
    return undefined;
  }
};

/**
 * Step 2: what Xiaomi sent back through the browser, as Logto posts it:
 * `{ code, state, redirectUri }` or `{ error, error_description, state, redirectUri }`.
 */
export const readCallback = async (data: unknown, getSession: GetSession): Promise<Callback> => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw toConnectorError({ kind: 'bad-callback', reason: 'no callback data' });
  }
  const callback = data as Record<string, unknown>;

  const error = field(callback, 'error');
  if (error !== undefined) {
    throw toConnectorError({
      kind: 'xiaomi',
      step: 'callback',
      xiaomiCode: error,
      description: field(callback, 'error_description'),
    });
  }

  const code = field(callback, 'code');
  if (code === undefined || code.length > maxCodeLength) {
    throw toConnectorError({ kind: 'bad-callback', reason: 'it carries no authorization code' });
  }

  const session = await readSession(getSession);
  const state = field(callback, 'state');
  if (session?.state !== undefined && state !== session.state) {
    throw toConnectorError({
      kind: 'bad-callback',
      reason: 'its state does not match this sign-in (was it started in another browser?)',
    });
  }

  const redirectUri = session?.redirectUri ?? field(callback, 'redirectUri');
  if (redirectUri === undefined) {
    throw toConnectorError({ kind: 'bad-callback', reason: 'it carries no redirectUri' });
  }
  const requestedScope = session?.scope;
  return {
    code,
    redirectUri,
    ...(typeof requestedScope === 'string' ? { requestedScope } : {}),
  };
};
