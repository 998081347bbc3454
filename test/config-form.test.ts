// The console's form (`formItems`) and the guard Logto validates a saved config with
// (`configGuard`) must describe the same config, and the metadata must be what Logto accepts.
// Which keys and which of them are required: test/unit/config.test.ts. The metadata guard, the
// readme and the logos, as each supported Logto release loads them: install.test.ts.
import {
  ConnectorConfigFormItemType,
  ConnectorError,
  ConnectorErrorCodes,
  type ConnectorConfigFormItem,
} from '@logto/connector-kit';
import { describe, expect, it } from 'vitest';
import type { ZodTypeAny } from 'zod';

import { configGuard, describeConfigIssues, formItems } from '../src/config.ts';
import createConnector from '../src/index.ts';

const signInLanguages = [
  'ar',
  'cs',
  'de',
  'en',
  'es',
  'fa-IR',
  'fr',
  'it',
  'ja',
  'ko',
  'pl-PL',
  'pt-BR',
  'pt-PT',
  'ru',
  'th',
  'tr-TR',
  'uk-UA',
  'zh-CN',
  'zh-HK',
  'zh-TW',
];

const shape: Record<string, ZodTypeAny> = configGuard.shape;

const validConfig = { clientId: '2882303761520000001', clientSecret: 'AppSecret-1234==' };

/** The field's name as the admin reads it in the form: the label without its "(…)" hint. */
const fieldName = (item: ConnectorConfigFormItem) => item.label.replace(/\s*\(.*\)\s*$/, '');

const item = (key: string): ConnectorConfigFormItem => {
  const found = formItems.find((formItem) => formItem.key === key);
  if (!found) {
    throw new Error(`no form item ${key}`);
  }
  return found;
};

/** Values an admin can actually submit through the form (or paste into the JSON editor). */
const invalidInputs: Record<string, unknown[]> = {
  clientId: ['', 'my-app', '2882303761520000001 ', 'AppID: 2882303761520000001'],
  clientSecret: ['', ' ', 'two words'],
  scope: ['profile email', '1,3', 'openid'],
  skipConfirm: ['true', 1],
  macSignature: ['yes', 0],
  redirectUri: ['auth.example.com/callback/abc', 'not a url'],
};

const loadConnector = () =>
  createConnector({
    getConfig: async () => {
      throw new Error('Logto reads the metadata with a getConfig that throws');
    },
  });

describe('the config form and the config guard', () => {
  it('pre-fill a new connector only with defaults that validate', () => {
    const defaults = Object.fromEntries(
      formItems
        .filter((formItem) => formItem.defaultValue !== undefined)
        .map(({ key, defaultValue }) => [key, defaultValue]),
    );
    for (const [key, value] of Object.entries(defaults)) {
      expect(shape[key]!.safeParse(value).success, `${key} default ${String(value)}`).toBe(true);
    }
    expect(configGuard.safeParse({ ...validConfig, ...defaults }).success).toBe(true);
  });

  it('accept a config with only the required fields, as saved by the console', () => {
    expect(configGuard.safeParse(validConfig).success).toBe(true);
  });

  it('give every field a label and a description, and every text field a placeholder', () => {
    for (const formItem of formItems) {
      expect(formItem.label.trim(), formItem.key).not.toBe('');
      expect(formItem.description?.trim(), formItem.key).toBeTruthy();
      if (formItem.type === ConnectorConfigFormItemType.Text) {
        expect(formItem.placeholder?.trim(), formItem.key).toBeTruthy();
      }
    }
  });

  it.each(formItems.filter(({ required }) => required).map(({ key }) => key))(
    'names %s when it is missing, and says what to paste',
    (key) => {
      const config = Object.fromEntries(
        Object.entries(validConfig).filter(([field]) => field !== key),
      );
      const result = configGuard.safeParse(config);
      expect(result.success).toBe(false);
      const message = describeConfigIssues(result.error!);
      expect(message).toContain(fieldName(item(key)));
    },
  );

  it.each(Object.entries(invalidInputs).flatMap(([key, values]) => values.map((v) => [key, v])))(
    'names %s when it is %j',
    (key, value) => {
      const result = configGuard.safeParse({ ...validConfig, [key as string]: value });
      expect(result.success).toBe(false);
      const message = describeConfigIssues(result.error!);
      expect(message).toContain(fieldName(item(key as string)));
    },
  );

  it('has invalid inputs above for every field', () => {
    expect(Object.keys(invalidInputs).sort()).toEqual(formItems.map(({ key }) => key).sort());
  });

  it('reports an invalid config at sign-in as invalid_config, field by field', async () => {
    const connector = await createConnector({
      getConfig: async () => ({ clientId: 'my-app', clientSecret: 'x', scope: 'profile' }),
    });
    const error: unknown = await connector
      .getAuthorizationUri(
        {
          state: 'state',
          redirectUri: 'https://auth.example.com/callback/abc',
          connectorId: 'abc',
          connectorFactoryId: connector.metadata.id,
          jti: 'jti',
          headers: {},
        },
        async () => undefined,
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectorError);
    const { code, data } = error as ConnectorError;
    expect(code).toBe(ConnectorErrorCodes.InvalidConfig);
    const { errorDescription } = data as { errorDescription: string };
    expect(errorDescription).toContain(fieldName(item('clientId')));
    expect(errorDescription).toContain(fieldName(item('scope')));
  });
});

describe('the metadata Logto reads', () => {
  it('names and describes the connector in all 20 sign-in languages', async () => {
    const { metadata } = await loadConnector();
    expect(Object.keys(metadata.name).sort()).toEqual([...signInLanguages].sort());
    expect(Object.keys(metadata.description).sort()).toEqual([...signInLanguages].sort());
    for (const language of signInLanguages) {
      const name = (metadata.name as Record<string, string>)[language]!;
      const description = (metadata.description as Record<string, string>)[language]!;
      expect(name.trim(), language).not.toBe('');
      expect(description.trim(), language).not.toBe('');
      // One short sentence that mentions the brand as written for that market.
      expect(description.length, language).toBeLessThan(80);
      expect(description, language).toContain(name);
    }
  });

  it('uses Xiaomi’s own brand name per market', async () => {
    const { metadata } = await loadConnector();
    const name = metadata.name as Record<string, string>;
    expect(name.en).toBe('Xiaomi');
    for (const language of ['zh-CN', 'zh-HK', 'zh-TW']) {
      expect(name[language]).toBe('小米');
    }
    expect(name.ko).toBe('샤오미');
  });

  it('exposes the same form items as the config declaration', async () => {
    const { metadata } = await loadConnector();
    expect(metadata.formItems).toEqual(formItems);
  });
});
