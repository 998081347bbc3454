import {
  ConnectorErrorCodes,
  type ConnectorSession,
  type GetAuthorizationUri,
  type GetConnectorConfig,
  type SetSession,
} from '@logto/connector-kit';

import { readConfig } from './config.ts';
import { requestedScopes } from './scopes.ts';

/**
 * Logto's "my account" API passes `notImplemented` from `@logto/cli` as `setSession`: it keeps no
 * session, and its callback comes back with a `getSession` that throws the same way.
 */
const saveSession = async (setSession: SetSession, session: ConnectorSession): Promise<void> => {
  try {
    await setSession(session);
  } catch (error: unknown) {
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
  ): GetAuthorizationUri =>
  async ({ state, redirectUri, scope }, setSession) => {
    const config = await readConfig(getConfig, factoryId);
    // A scope passed by the caller overrides the configured one; scope 1 is kept either way.
    const scopes = scope === undefined ? config.scopes : requestedScopes(scope);

    // What the callback needs: the exact redirect URI (Xiaomi compares it on the token exchange),
    // the state to check, and the scopes asked for, in case Xiaomi's token answer omits `scope`.
    await saveSession(setSession, { redirectUri, state, scope: scopes.join(' ') });

    const query = new URLSearchParams();
    query.set('client_id', config.clientId);
    query.set('redirect_uri', redirectUri);
    query.set('response_type', 'code');
    query.set('scope', scopes.join(' '));
    query.set('state', state);
    query.set('skip_confirm', String(config.skipConfirm ?? false));
    return `${authorizeEndpoint}?${query.toString()}`;
  };
