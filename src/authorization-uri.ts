import {
  ConnectorErrorCodes,
  type ConnectorSession,
  type GetAuthorizationUri,
  type GetConnectorConfig,
  type SetSession,
} from '@logto/connector-kit';

import { readConfig } from './config.ts';
import { ConnectorFailure } from './errors.ts';
import { requestedScopes } from './scopes.ts';
import { beforeAbort, timeLimit } from './time-limit.ts';

/**
 * Logto's "my account" API passes `notImplemented` from `@logto/cli` as `setSession`: it keeps no
 * session, and its callback comes back with a `getSession` that throws the same way.
 */
const saveSession = async (
  setSession: SetSession,
  session: ConnectorSession,
  signal: AbortSignal,
): Promise<void> => {
  try {
    await beforeAbort(setSession(session), signal);
  } catch (error: unknown) {
    if (signal.aborted) {
      throw new ConnectorFailure({ kind: 'logto-timeout', call: 'setSession' });
    }
    if ((error as { code?: unknown } | null)?.code !== ConnectorErrorCodes.NotImplemented) {
      throw error;
    }
  }
};

/** Step 1: the Xiaomi consent page the browser is sent to. */
export const getAuthorizationUri =
  (
    getConfig: GetConnectorConfig,
    factoryId: string,
    authorizeEndpoint: string,
    timeoutMs: number,
  ): GetAuthorizationUri =>
  async ({ state, redirectUri, scope }, setSession) => {
    // Logto's own callbacks are bounded like a sign-in's: a getConfig that never settles must
    // not hold the sign-in page forever.
    const budget = timeLimit(timeoutMs);
    try {
      const config = await readConfig(getConfig, factoryId, budget.signal);
      // A scope passed by the caller overrides the configured one; scope 1 is kept either way.
      const scopes = scope === undefined ? config.scopes : requestedScopes(scope);

      // What the callback needs: the exact redirect URI (Xiaomi compares it on the token
      // exchange), the state to check, and the scopes asked for, in case Xiaomi's token answer
      // omits `scope`.
      await saveSession(setSession, { redirectUri, state, scope: scopes.join(' ') }, budget.signal);
      return authorizationUrl(authorizeEndpoint, config, { redirectUri, scopes, state });
    } finally {
      budget.clear();
    }
  };

const authorizationUrl = (
  authorizeEndpoint: string,
  config: { clientId: string; skipConfirm?: boolean },
  { redirectUri, scopes, state }: { redirectUri: string; scopes: string[]; state: string },
): string => {
  const query = new URLSearchParams();
  query.set('client_id', config.clientId);
  query.set('redirect_uri', redirectUri);
  query.set('response_type', 'code');
  query.set('scope', scopes.join(' '));
  query.set('state', state);
  query.set('skip_confirm', String(config.skipConfirm ?? false));
  return `${authorizeEndpoint}?${query.toString()}`;
};
