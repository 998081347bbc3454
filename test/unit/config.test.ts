import { describe, expect, it } from 'vitest';

import { configGuard, formItems } from '../../src/config.ts';
import {
  baseConfig,
  callback,
  expectConnectorError,
  makeConnector,
  signInSession,
} from './fixtures.ts';

describe('config', () => {
  it('accepts a config saved for Logto’s own Xiaomi connector unchanged', () => {
    const official = {
      clientId: '2882303761520000001',
      clientSecret: 'abcDEF123==',
      scope: '1 3',
      redirectUri: 'https://auth.example.com/callback/xyz',
      skipConfirm: true,
    };
    expect(configGuard.safeParse(official).success).toBe(true);
  });

  it('needs only Client ID and Client Secret', () => {
    expect(configGuard.safeParse({ clientId: '1', clientSecret: 's' }).success).toBe(true);
  });

  it.each([
    [{ clientSecret: 's' }, 'Client ID is required'],
    [{ clientId: 'my-app', clientSecret: 's' }, 'Client ID must be the numeric AppID'],
    [{ clientId: '1' }, 'Client Secret is required'],
    [{ clientId: '1', clientSecret: '' }, 'Client Secret must be'],
    [{ clientId: '1', clientSecret: 'has space' }, 'Client Secret must be'],
    [
      { clientId: '1', clientSecret: 's', scope: 'profile email' },
      'Scope must be Xiaomi’s numeric',
    ],
    [{ clientId: '1', clientSecret: 's', scope: '1,3' }, 'Scope must be'],
    [
      { clientId: '1', clientSecret: 's', skipConfirm: 'yes' },
      'Skip Xiaomi’s confirmation page must be on or off',
    ],
    [{ clientId: '1', clientSecret: 's', redirectUri: 'callback' }, 'Redirect URI must be'],
  ])('rejects %j with a message naming the field and the fix', (config, message) => {
    const result = configGuard.safeParse(config);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join(' ')).toContain(message);
  });

  it('accepts scope lists with extra whitespace', () => {
    expect(configGuard.safeParse({ ...baseConfig, scope: '  1   3\t6 ' }).success).toBe(true);
  });

  it('derives one form item per config key, in declaration order', () => {
    expect(formItems.map((item) => item.key)).toEqual(Object.keys(configGuard.shape));
  });

  it('marks exactly Client ID and Client Secret as required in the form', () => {
    expect(formItems.filter((item) => item.required).map((item) => item.key)).toEqual([
      'clientId',
      'clientSecret',
    ]);
  });

  it('masks the Client Secret in the console', () => {
    expect(formItems.find((item) => item.key === 'clientSecret')?.isConfidential).toBe(true);
  });

  it('an invalid saved config fails a sign-in with invalid_config naming the field', async () => {
    const connector = await makeConnector({ clientId: 'abc', clientSecret: 'x' });
    const data = await expectConnectorError(
      connector.getUserInfo(callback, signInSession),
      'invalid_config',
    );
    expect(data.errorDescription).toContain('Client ID');
  });
});

describe('config values of the wrong type', () => {
  it.each([
    [{ clientId: 2882303761, clientSecret: 's' }, 'Client ID must be text'],
    [{ clientId: '1', clientSecret: 42 }, 'Client Secret must be text'],
    [{ clientId: '1', clientSecret: 's', scope: 1 }, 'Scope must be text'],
    [{ clientId: '1', clientSecret: 's', redirectUri: 1 }, 'Redirect URI must be text'],
  ])('rejects %j with a message naming the field', (config, message) => {
    const result = configGuard.safeParse(config);
    expect(result.error?.issues.map((issue) => issue.message).join(' ')).toContain(message);
  });
});
