/**
 * Steps 1 and 2 on Logto's side of the trip through Xiaomi's consent page: step 1 saves what the
 * callback will need in Logto's session; step 2 reads what comes back, as Logto posts it. Logto's
 * `getSession` and `setSession` arrive here already bounded in time (operation.ts).
 */
import { ConnectorErrorCodes, type ConnectorSession } from '@logto/connector-kit';

import { ConnectorFailure } from './errors.ts';
import type { Secrets } from './operation.ts';
import { decodeErrorField, isTokenText } from './xiaomi-answers.ts';

/**
 * Logto's admin and "my account" APIs pass `notImplemented` from `@logto/cli` as `getSession`
 * and `setSession`: they keep no session by design.
 */
const isNotImplemented = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === ConnectorErrorCodes.NotImplemented;

/**
 * Step 1, before the browser leaves: the exact redirect URI (Xiaomi compares it on the token
 * exchange), the state to check, and the scopes asked for, in case Xiaomi's token answer omits
 * `scope`.
 */
export const saveSession = async (
  setSession: (session: ConnectorSession) => Promise<void>,
  session: { redirectUri: string; state: string; scope: string },
): Promise<void> => {
  try {
    await setSession(session);
  } catch (error: unknown) {
    // Logto's "my account" API keeps no session, and its callback comes back with a
    // `getSession` that throws the same way.
    if (!isNotImplemented(error)) {
      throw error;
    }
  }
};

export type Callback = {
  code: string;
  redirectUri: string;
  /** The scope requested in step 1, when the session still holds it. */
  requestedScope?: string;
};

/** A redirect URI as Logto posts it: visible ASCII, bounded like any URL a browser sends. */
const redirectUriOf = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[\x21-\x7e]{1,2048}$/.test(value) ? value : undefined;

const noSignIn = () =>
  new ConnectorFailure({
    kind: 'bad-callback',
    reason:
      'no sign-in with Xiaomi was started for it here (it may have expired, or come from another browser)',
  });

/**
 * What step 1 saved, or `undefined` where the caller keeps no session by design. Logto's sign-in
 * page rejects with its own RequestError when nothing was saved, and the account center resolves
 * `{}`: both mean no sign-in was started here, and the callback is refused. Only Logto's admin and
 * "my account" APIs throw `ConnectorError(not_implemented)` (synchronously): there the callback's
 * own redirect URI is all there is.
 */
const readSession = async (
  getSession: () => Promise<unknown>,
): Promise<ConnectorSession | undefined> => {
  let session: unknown;
  try {
    session = await getSession();
  } catch (error: unknown) {
    if (isNotImplemented(error)) {
      return undefined;
    }
    throw error instanceof ConnectorFailure ? error : noSignIn();
  }
  if (
    typeof session !== 'object' ||
    session === null ||
    typeof (session as ConnectorSession).state !== 'string'
  ) {
    throw noSignIn();
  }
  return session as ConnectorSession;
};

/**
 * Step 2: what Xiaomi sent back through the browser, as Logto posts it. Logto's sign-in page checks
 * `state` itself and posts `{ redirectUri, code }` or `{ redirectUri, error, error_description }`
 * without it; the account center posts `state` too, and then it must match the saved one.
 */
export const readCallback = async (
  data: unknown,
  getSession: () => Promise<unknown>,
  secrets: Secrets,
): Promise<Callback> => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConnectorFailure({ kind: 'bad-callback', reason: 'no callback data' });
  }
  const callback = data as Record<string, unknown>;
  // A code is a secret from the moment it arrives, whatever else the callback holds.
  if (typeof callback.code === 'string') {
    secrets.add(callback.code);
  }

  // Anyone can craft a callback link, so its error_description is never passed on, and its error
  // only when it is a code (errors.ts decides).
  const error = decodeErrorField(callback.error);
  if (error.failed) {
    throw new ConnectorFailure({ kind: 'xiaomi', step: 'callback', xiaomiCode: error.xiaomiCode });
  }

  const { code } = callback;
  if (!isTokenText(code)) {
    throw new ConnectorFailure({
      kind: 'bad-callback',
      reason: 'it carries no usable authorization code',
    });
  }

  const session = await readSession(getSession);
  if (session && callback.state !== undefined && callback.state !== session.state) {
    throw new ConnectorFailure({
      kind: 'bad-callback',
      reason: 'its state does not match this sign-in (was it started in another browser?)',
    });
  }

  const redirectUri = session?.redirectUri ?? redirectUriOf(callback.redirectUri);
  if (redirectUri === undefined) {
    throw new ConnectorFailure({
      kind: 'bad-callback',
      reason: 'it carries no usable redirectUri',
    });
  }
  const requested = session?.scope;
  return {
    code,
    redirectUri,
    ...(typeof requested === 'string' && { requestedScope: requested }),
  };
};
