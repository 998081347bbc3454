// How each of Logto's calls reads the config: afresh from Logto every time, checked by zod only
// when its content changed (src/config.ts, parseConfig), and what it holds kept secret.
import { ConnectorErrorCodes } from '@logto/connector-kit';
import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config.ts';
import { createXiaomiConnector } from '../../src/index.ts';
import { answeringSignIn, authorizationRequest, baseConfig, callback } from './fixtures.ts';
import { expectConnectorError, signIn } from './fixtures.ts';

const authorizationUrl = async (getConfig: () => Promise<unknown>) => {
  const connector = await createXiaomiConnector({ send: answeringSignIn().send })({ getConfig });
  const url = await connector.getAuthorizationUri(authorizationRequest, async () => undefined);
  return new URL(url).searchParams;
};

describe('reading the config', () => {
  it('takes a config saved in the console from the next call, even in the same object', async () => {
    const config = { ...baseConfig };
    const getConfig = async () => config;
    expect((await authorizationUrl(getConfig)).get('client_id')).toBe(baseConfig.clientId);
    config.clientId = '2882303761520000002';
    config.scope = '1 6';
    const query = await authorizationUrl(getConfig);
    expect(query.get('client_id')).toBe('2882303761520000002');
    expect(query.get('scope')).toBe('1 6');
  });

  it('hands on a frozen copy of what zod checked, the same for the same content', () => {
    const first = parseConfig({ ...baseConfig, unknownKey: 'dropped' });
    const second = parseConfig({ ...baseConfig, unknownKey: 'dropped' });
    expect(first.ok && Object.isFrozen(first.config)).toBe(true);
    expect(second).toBe(first);
    expect(first.ok && 'unknownKey' in first.config).toBe(false);
  });

  it('refuses a value JSON cannot hold by its field, with the form’s message', async () => {
    const config = { ...baseConfig, clientId: 2882303761520000001n };
    const data = await expectConnectorError(
      signIn(answeringSignIn(), { config }),
      ConnectorErrorCodes.InvalidConfig,
    );
    expect(JSON.stringify(data)).toContain('Client ID must be text');
  });

  it('refuses a callback whose code holds a lone surrogate as a bad callback', async () => {
    await expectConnectorError(
      signIn(answeringSignIn(), { data: { ...callback, code: 'AUTH-\ud800-CODE' } }),
      ConnectorErrorCodes.InvalidRequestParameters,
    );
  });
});
