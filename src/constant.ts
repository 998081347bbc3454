/**
 * What the connector is and where it talks to: Xiaomi's endpoints and Open API calls, the time a
 * sign-in may take, and the metadata Logto shows (Logto's own connectors keep these in a
 * `constant.ts` too).
 */
import { ConnectorPlatform, type ConnectorMetadata } from '@logto/connector-kit';

import { formItems } from './config.ts';

/** Where the connector talks to Xiaomi: its real hosts, unless a test or the demo says otherwise. */
export type XiaomiEndpoints = {
  /** Browser redirect target (section 1 of Xiaomi's OAuth docs). */
  authorize: string;
  /** Code and refresh-token exchange. */
  token: string;
  /** Origin of the Open API; `/user/...` paths are appended. */
  openApi: string;
};

export const xiaomiEndpoints: XiaomiEndpoints = {
  authorize: 'https://account.xiaomi.com/oauth2/authorize',
  token: 'https://account.xiaomi.com/oauth2/token',
  openApi: 'https://open.account.xiaomi.com',
};

/**
 * The Open API calls a sign-in makes, each made when the granted scopes include one of its
 * `scopes`. The profile carries the unionId, the user's id, so it alone is required; the others
 * may fail (many apps are never granted phone and email) without failing the sign-in. The steps
 * an admin reads in errors are named after these rows: a new call is a row here, and its fields
 * in user-info.ts.
 */
export const openApiCalls = [
  { step: 'profile', path: '/user/profile', scopes: ['1'], optional: false },
  { step: 'openId', path: '/user/openIdV2', scopes: ['3'], optional: true },
  { step: 'phoneAndEmail', path: '/user/phoneAndEmail', scopes: ['4', '6'], optional: true },
] as const satisfies readonly OpenApiCallShape[];

type OpenApiCallShape = {
  step: string;
  path: `/${string}`;
  scopes: readonly string[];
  optional: boolean;
};

export type OpenApiStep = (typeof openApiCalls)[number]['step'];

/** The step of an operation that failed; it tells an admin which Xiaomi call to look at. */
export type Step = 'callback' | 'token' | 'refresh' | OpenApiStep;

/** A stalled Xiaomi must fail a sign-in within this bound, retries included. */
export const defaultTimeoutMs = 10_000;

// What end users read on the sign-in button ("Continue with <name>") and admins in the console, in
// every language of Logto's sign-in experience. The brand follows Xiaomi's own sites per market:
// "小米" in mainland China, Hong Kong and Taiwan, "샤오미" in Korea, the Latin "Xiaomi" elsewhere
// (Xiaomi's Japanese, Russian, Middle-East and Thai sites write it in Latin script).
const name = {
  ar: 'Xiaomi',
  cs: 'Xiaomi',
  de: 'Xiaomi',
  en: 'Xiaomi',
  es: 'Xiaomi',
  'fa-IR': 'Xiaomi',
  fr: 'Xiaomi',
  it: 'Xiaomi',
  ja: 'Xiaomi',
  ko: '샤오미',
  'pl-PL': 'Xiaomi',
  'pt-BR': 'Xiaomi',
  'pt-PT': 'Xiaomi',
  ru: 'Xiaomi',
  th: 'Xiaomi',
  'tr-TR': 'Xiaomi',
  'uk-UA': 'Xiaomi',
  'zh-CN': '小米',
  'zh-HK': '小米',
  'zh-TW': '小米',
} as const satisfies Record<string, string>;

const description = {
  ar: 'تسجيل الدخول باستخدام حساب Xiaomi (Mi Account).',
  cs: 'Přihlášení pomocí účtu Xiaomi (Mi Account).',
  de: 'Anmeldung mit einem Xiaomi-Konto (Mi Account).',
  en: 'Sign in with a Xiaomi account (Mi Account).',
  es: 'Inicia sesión con una cuenta de Xiaomi (Mi Account).',
  'fa-IR': 'ورود با حساب کاربری Xiaomi (Mi Account).',
  fr: 'Connexion avec un compte Xiaomi (Mi Account).',
  it: 'Accedi con un account Xiaomi (Mi Account).',
  ja: 'Xiaomi アカウント（Mi アカウント）でサインインします。',
  ko: '샤오미 계정(Mi 계정)으로 로그인합니다.',
  'pl-PL': 'Logowanie za pomocą konta Xiaomi (Mi Account).',
  'pt-BR': 'Entre com uma conta Xiaomi (Mi Account).',
  'pt-PT': 'Inicie sessão com uma conta Xiaomi (Mi Account).',
  ru: 'Вход с аккаунтом Xiaomi (Mi Account).',
  th: 'ลงชื่อเข้าใช้ด้วยบัญชี Xiaomi (Mi Account)',
  'tr-TR': 'Xiaomi hesabı (Mi Account) ile oturum açın.',
  'uk-UA': 'Вхід за допомогою облікового запису Xiaomi (Mi Account).',
  'zh-CN': '使用小米账号（Mi Account）登录。',
  'zh-HK': '使用小米帳戶（Mi Account）登入。',
  'zh-TW': '使用小米帳號（Mi Account）登入。',
} as const satisfies Record<string, string>;

export const metadata: ConnectorMetadata = {
  // Logto refuses to start when two factories share an id, and its images already contain the
  // official Xiaomi connector as `xiaomi-universal`: this one must be installable beside it.
  id: 'xiaomi-universal-plus',
  // The identity key stored with each user. Same as the official connector's, so users it
  // created keep their accounts after a switch (both use the profile's unionId as the user id).
  target: 'xiaomi',
  platform: ConnectorPlatform.Universal,
  name,
  description,
  logo: './logo.svg',
  logoDark: './logo-dark.svg',
  // Logto's console shows this file beside the connector's form: the admin's guide, with absolute
  // links only (the console opens relative ones inside itself).
  readme: './docs/console-guide.md',
  isStandard: false,
  isTokenStorageSupported: true,
  formItems,
};
