import type { ConnectorSession } from '@logto/connector-kit';
import { describe, expect, it, vi } from 'vitest';

import {
  authorizationRequest,
  baseConfig,
  clientId,
  expectConnectorError,
  makeConnector,
  throwingGetSession,
  redirectUri,
} from './fixtures.ts';
import { MemoryXiaomi } from './memory-xiaomi.ts';

const authorize = async (config: unknown, scope?: string) => {
  const connector = await makeConnector(new MemoryXiaomi(), config);
  const saved: ConnectorSession[] = [];
  const uri = await connector.getAuthorizationUri(
    { ...authorizationRequest, ...(scope === undefined ? {} : { scope }) },
    async (session) => {
      saved.push(session);
    },
  );
  return { url: new URL(uri), saved };
};

describe('getAuthorizationUri', () => {
  it('points the browser at Xiaomi’s authorize endpoint with every OAuth parameter', async () => {
    const { url } = await authorize(baseConfig);
    expect(url.origin + url.pathname).toBe('https://account.xiaomi.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: '1',
      state: 'state-1',
      skip_confirm: 'false',
    });
  });

  it.each([
    ['1 3 6', ' 3  6 3 ', undefined],
    ['1', undefined, undefined],
    ['1 6 16000', '1 3', '6 16000'],
  ])(
    'requests scope %j for a configured scope %j and a scope %j passed by the caller: scope 1 always, first, and the caller’s scope over the configured one',
    async (requested, configured, passed) => {
      const { url } = await authorize({ ...baseConfig, scope: configured }, passed);
      expect(url.searchParams.get('scope')).toBe(requested);
    },
  );

  it('sends skip_confirm=true when Skip confirm is on', async () => {
    const { url } = await authorize({ ...baseConfig, skipConfirm: true });
    expect(url.searchParams.get('skip_confirm')).toBe('true');
  });

  it('saves the redirect URI, state and requested scopes for the callback step', async () => {
    const { saved } = await authorize({ ...baseConfig, scope: '1 4' });
    expect(saved).toEqual([{ redirectUri, state: 'state-1', scope: '1 4' }]);
  });

  it('fails with invalid_config when the config is invalid', async () => {
    await expectConnectorError(authorize({ clientId }), 'invalid_config');
  });

  it('turns a failing setSession into a ConnectorError, its cause kept out of data', async () => {
    const connector = await makeConnector(new MemoryXiaomi(), baseConfig);
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cause = new Error('session store down');
    const failure = connector.getAuthorizationUri(authorizationRequest, async () => {
      throw cause;
    });
    const data = await expectConnectorError(failure, 'general');
    expect(JSON.stringify(data)).not.toContain('session store down');
    await failure.catch((error: unknown) => expect((error as Error).cause).toBe(cause));
    expect(log).toHaveBeenCalledWith(expect.stringContaining('session store down'));
    log.mockRestore();
  });

  it('builds the URL where Logto’s "my account" API passes notImplemented as setSession', async () => {
    const connector = await makeConnector(new MemoryXiaomi(), baseConfig);
    const url = new URL(
      await connector.getAuthorizationUri(authorizationRequest, throwingGetSession),
    );
    expect(url.searchParams.get('state')).toBe('state-1');
  });
});
