import type { ConnectorSession, SetSession } from '@logto/connector-kit';

import { fromLogto, isNotImplemented } from './budget.ts';
import { requestedScopes, type ConnectorConfig } from './config.ts';

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
    await fromLogto('setSession', async () => setSession(session), signal);
  } catch (error: unknown) {
    if (!isNotImplemented(error)) {
      throw error;
    }
  }
};

/**
 * Step 1: the Xiaomi consent page the browser is sent to, once the callback's needs are saved:
 * the exact redirect URI (Xiaomi compares it on the token exchange), the state to check, and the
 * scopes asked for, in case Xiaomi's token answer omits `scope`.
 */
export const startAuthorization = async (
  authorizeEndpoint: string,
  config: ConnectorConfig,
  { state, redirectUri, scope }: { state: string; redirectUri: string; scope?: string },
  setSession: SetSession,
  signal: AbortSignal,
): Promise<string> => {
  // A scope passed by the caller overrides the configured one; scope 1 is kept either way.
  const scopes = scope === undefined ? config.scopes : requestedScopes(scope);
  await saveSession(setSession, { redirectUri, state, scope: scopes.join(' ') }, signal);
  return authorizationUrl(authorizeEndpoint, config, { redirectUri, scopes, state });
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
