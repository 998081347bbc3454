// The config Logto validates (`configGuard`) and the console's form for it (`formItems`), both
// derived from one declaration in src/config.ts, and the metadata Logto reads. The metadata guard,
// the readme and the logos, as each supported Logto release loads them: install.test.ts.
import { ConnectorConfigFormItemType, connectorMetadataGuard } from '@logto/connector-kit';
import { describe, expect, it } from 'vitest';
import type { ZodTypeAny } from 'zod';

import {
  configGuard,
  describeConfigIssues,
  formItems,
  parseConfig,
  requestedScopes,
} from '../../src/config.ts';
import createConnector from '../../src/index.ts';
import { expectConnectorError, signIn } from './fixtures.ts';
import { MemoryXiaomi } from './memory-xiaomi.ts';

/** Logto's sign-in languages, sorted. */
const signInLanguages =
  'ar cs de en es fa-IR fr it ja ko pl-PL pt-BR pt-PT ru th tr-TR uk-UA zh-CN zh-HK zh-TW'.split(
    ' ',
  );

const shape: Record<string, ZodTypeAny> = configGuard.shape;

const validConfig = { clientId: '2882303761520000001', clientSecret: 'AppSecret-1234==' };

/** The field's name as the admin reads it in the form: the label without its "(…)" hint. */
const fieldName = (key: string) =>
  formItems.find((item) => item.key === key)!.label.replace(/\s*\(.*\)\s*$/, '');

/**
 * Values an admin can submit through the form or paste into the JSON editor (`undefined`: left
 * out), and the fix the message names.
 */
const invalidInputs: [key: string, value: unknown, fix: string][] = [
  ['clientId', undefined, 'Client ID is required: paste the AppID'],
  ['clientId', '', 'Client ID must be the numeric AppID'],
  ['clientId', 'my-app', 'Client ID must be the numeric AppID'],
  ['clientId', '2882303761520000001 ', 'Client ID must be the numeric AppID'],
  ['clientId', 'AppID: 2882303761520000001', 'Client ID must be the numeric AppID'],
  ['clientId', 2882303761, 'Client ID must be text: put the AppID in quotes'],
  ['clientSecret', undefined, 'Client Secret is required: paste the AppSecret'],
  ['clientSecret', '', 'Client Secret must be the AppSecret'],
  ['clientSecret', ' ', 'Client Secret must be the AppSecret'],
  ['clientSecret', 'two words', 'Client Secret must be the AppSecret'],
  ['clientSecret', 42, 'Client Secret must be text'],
  ['scope', 'profile email', 'Scope must be Xiaomi’s numeric scope ids'],
  ['scope', '1,3', 'Scope must be Xiaomi’s numeric scope ids'],
  ['scope', 'openid', 'Scope must be Xiaomi’s numeric scope ids'],
  ['scope', 1, 'Scope must be text'],
  ['scopes', '1 3', 'Scopes must be a list of picked scopes'],
  ['scopes', ['3'], 'Scopes must be picked from "1 profile", "3 openId", "4 phone", "6 email"'],
  ['scopes', ['2 relation'], 'put any other scope id in Scope (other ids)'],
  ['scopes', [3], 'Scopes must be picked from'],
  ['skipConfirm', 'true', 'Skip Xiaomi’s confirmation page must be on or off'],
  ['skipConfirm', 'yes', 'Skip Xiaomi’s confirmation page must be on or off'],
  ['skipConfirm', 1, 'Skip Xiaomi’s confirmation page must be on or off'],
  ['macSignature', 'yes', 'Sign Open API calls must be on or off'],
  ['macSignature', 0, 'Sign Open API calls must be on or off'],
  ['redirectUri', 'auth.example.com/callback/abc', 'Redirect URI must be your Logto callback URL'],
  ['redirectUri', 'not a url', 'Redirect URI must be your Logto callback URL'],
  ['redirectUri', 1, 'Redirect URI must be text'],
];

const { metadata } = await createConnector({
  getConfig: async () => {
    throw new Error('Logto reads the metadata with a getConfig that throws');
  },
});

describe('the config guard', () => {
  it.each([
    [
      'a config saved for Logto’s own Xiaomi connector, unchanged',
      {
        ...validConfig,
        scope: '1 3',
        redirectUri: 'https://auth.example.com/callback/xyz',
        skipConfirm: true,
      },
    ],
    ['only Client ID and Client Secret, as the console saves a new connector', validConfig],
    ['a scope list with extra whitespace', { ...validConfig, scope: '  1   3\t6 ' }],
  ])('accepts %s', (_, config) => {
    expect(configGuard.safeParse(config).success).toBe(true);
  });

  it.each(invalidInputs)(
    'refuses %s %j with a message naming the field as the form does, and the fix',
    (key, value, fix) => {
      const result = configGuard.safeParse({ ...validConfig, [key]: value });
      expect(result.success).toBe(false);
      const message = describeConfigIssues(result.error!);
      expect(message).toContain(fieldName(key));
      expect(message).toContain(fix);
    },
  );

  it('has invalid inputs above for every field', () => {
    expect(new Set(invalidInputs.map(([key]) => key))).toEqual(
      new Set(formItems.map(({ key }) => key)),
    );
  });

  it('an invalid saved config fails a sign-in with invalid_config, field by field', async () => {
    const config = { clientId: 'my-app', clientSecret: 'x', scope: 'p' };
    const data = await expectConnectorError(
      signIn(new MemoryXiaomi(), { config }),
      'invalid_config',
    );
    expect(data.errorDescription).toContain(fieldName('clientId'));
    expect(data.errorDescription).toContain(fieldName('scope'));
  });
});

describe('the console form', () => {
  it('derives one form item per config key, in declaration order', () => {
    expect(formItems.map((item) => item.key)).toEqual(Object.keys(configGuard.shape));
  });

  it('marks exactly Client ID and Client Secret as required', () => {
    expect(formItems.filter((item) => item.required).map((item) => item.key)).toEqual([
      'clientId',
      'clientSecret',
    ]);
  });

  it('masks the Client Secret in the console', () => {
    expect(formItems.find((item) => item.key === 'clientSecret')?.isConfidential).toBe(true);
  });

  it('pre-fills a new connector only with defaults that validate', () => {
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

  it('gives every field a label and a description, and every text field a placeholder', () => {
    for (const formItem of formItems) {
      expect(formItem.label.trim(), formItem.key).not.toBe('');
      expect(formItem.description?.trim(), formItem.key).toBeTruthy();
      if (formItem.type === ConnectorConfigFormItemType.Text) {
        expect(formItem.placeholder?.trim(), formItem.key).toBeTruthy();
      }
    }
  });
});

const picker = formItems.find((item) => item.key === 'scopes')!;
const scopeOf = (config: Record<string, unknown>) => {
  const parsed = parseConfig({ ...validConfig, ...config });
  if (!parsed.ok) {
    throw new Error(parsed.description);
  }
  return requestedScopes(parsed.config.scope);
};

describe('the scope picker', () => {
  it('offers the seed’s scopes as a MultiSelect, each box named by its id and Xiaomi’s name', () => {
    expect(picker.type).toBe(ConnectorConfigFormItemType.MultiSelect);
    expect(picker.type === ConnectorConfigFormItemType.MultiSelect && picker.selectItems).toEqual([
      { value: '1 profile' },
      { value: '3 openId' },
      { value: '4 phone' },
      { value: '6 email' },
    ]);
  });

  // Core sends formItems through connectorMetadataGuard (connectorResponseGuard in @logto/schemas,
  // applied and stripped by packages/core/src/middleware/koa-guard.ts): what survives is what the
  // console renders.
  it('reaches the console unchanged, every item of it, through the guard Logto’s API applies', () => {
    expect(connectorMetadataGuard.parse(metadata).formItems).toEqual(formItems);
  });

  it('says that scope 1 is always requested, and pre-checks it on a new connector', () => {
    expect(picker.description).toContain('1 profile is always requested, checked or not');
    expect(picker.defaultValue).toEqual(['1 profile']);
  });

  it('keeps the Scope text field, so an old "1 3" still shows and survives a save', () => {
    const text = formItems.find((item) => item.key === 'scope')!;
    expect(text.type).toBe(ConnectorConfigFormItemType.Text);
    expect(text.description).toContain('"1 3", stays here and keeps working');
  });

  it.each([
    [{ scopes: ['1 profile', '3 openId'] }, ['1', '3']],
    [{ scope: '1 3' }, ['1', '3']],
    [{ scope: '3' }, ['1', '3']],
    [{ scopes: ['3 openId'], scope: '3' }, ['1', '3']],
    [{ scopes: ['6 email', '4 phone'] }, ['1', '6', '4']],
    [{ scopes: ['3 openId'], scope: '1000 16000' }, ['1', '3', '1000', '16000']],
    [{ scopes: ['4 phone'] }, ['1', '4']],
    [{ scope: '6' }, ['1', '6']],
    [{ scopes: [], scope: '' }, ['1']],
    [{ scopes: [] }, ['1']],
    [{}, ['1']],
  ])('a config saved as %j requests scopes %j: scope 1 always, first', (config, scopes) => {
    expect(scopeOf(config)).toEqual(scopes);
  });

  it('hands the rest of the connector one space-separated scope string', () => {
    const parsed = parseConfig({ ...validConfig, scopes: ['3 openId'], scope: '6' });
    expect(parsed.ok && parsed.config.scope).toBe('1 3 6');
  });
});

describe('the metadata Logto reads', () => {
  it('names and describes the connector in all 20 sign-in languages', () => {
    expect(Object.keys(metadata.name).sort()).toEqual(signInLanguages);
    expect(Object.keys(metadata.description).sort()).toEqual(signInLanguages);
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

  it('uses Xiaomi’s own brand name per market', () => {
    const name = metadata.name as Record<string, string>;
    expect(name.en).toBe('Xiaomi');
    for (const language of ['zh-CN', 'zh-HK', 'zh-TW']) {
      expect(name[language]).toBe('小米');
    }
    expect(name.ko).toBe('샤오미');
  });
});
