// The two connectors and one sign-in through either as Logto's core runs it. worker.ts loads this
// only after it has timed the connector's own import, so that the import is measured cold.
import type { CreateConnector, SocialConnector } from '@logto/connector-kit';

import { LogtoHost } from '../fakes/logto-host/logto-host.ts';
import { bareSignInWith } from './floor.ts';

export { ConnectorError } from '@logto/connector-kit';

export const connectors = ['official', 'ours'] as const;
/** The CPU phase also runs the floor, a bare client making the same calls (floor.ts). */
export const contenders = [...connectors, 'floor'] as const;
export type ConnectorName = (typeof contenders)[number];
export const labels = {
  official: '@logto/connector-xiaomi',
  ours: 'connector-xiaomi',
  floor: 'floor: bare node:http client',
} as const;
/** Scope `1` is all the official connector fetches; `1 3 4 6` is this package's full profile. */
export const scopes = ['1', '1 3 4 6'] as const;
export type Scope = (typeof scopes)[number];

export const benchApp = { clientId: '2882303761520000001', clientSecret: 'bench-secret-5Jx9' };
export const redirectUri = 'https://logto.bench.local/callback/xiaomi';

// The official connector has Xiaomi's origins hard-coded and calls them with ky, that is the global
// fetch, which hands every request to undici's global dispatcher as `{ origin, path, ... }`.
// Rewriting `origin` there is the last step before a socket is picked: the connector, ky, fetch
// and undici run as in Logto, only the connection goes to the fake.
type Dispatch = (options: { origin?: string | URL }, handler: unknown) => boolean;
const xiaomiOrigins = new Set(['https://account.xiaomi.com', 'https://open.account.xiaomi.com']);
const rewriter =
  (dispatch: Dispatch, fakeOrigin: string): Dispatch =>
  (options, handler) =>
    dispatch(
      options.origin !== undefined && xiaomiOrigins.has(String(options.origin))
        ? { ...options, origin: fakeOrigin }
        : options,
      handler,
    );

/** Nanoseconds the rewrite adds to one request (the official makes two per sign-in). */
export const rewriteCostNs = (): number => {
  const dispatch = rewriter(() => true, 'http://127.0.0.1:1');
  const options = { origin: 'https://open.account.xiaomi.com', path: '/user/profile' };
  const rounds = 1_000_000;
  for (let i = 0; i < rounds; i++) dispatch(options, undefined);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) dispatch(options, undefined);
  return Number(process.hrtime.bigint() - start) / rounds;
};

// Both server-side steps of a sign-in as Logto's sign-in page runs them, through the host model the
// tests use: the authorization URI (with the session Logto keeps), then the callback as the page
// posts it. The browser's part, the consent page, happened on the fake: `code` comes from there.
export const signInWith = async (
  name: ConnectorName,
  scope: string,
  origin: string,
  lib: string,
): Promise<(code: string) => Promise<{ id: string; rawData?: unknown }>> => {
  if (name === 'floor') return bareSignInWith(benchApp, scope, origin, redirectUri);
  let factory: CreateConnector<SocialConnector>;
  if (name === 'official') {
    // Node creates undici's global dispatcher, kept under this symbol, at the first fetch.
    await fetch('data:,');
    const key = Symbol.for('undici.globalDispatcher.1');
    const dispatcher = (globalThis as Record<symbol, { dispatch?: Dispatch } | undefined>)[key];
    if (typeof dispatcher?.dispatch !== 'function') {
      throw new Error('no undici global dispatcher: has Node changed how fetch is wired?');
    }
    dispatcher.dispatch = rewriter(dispatcher.dispatch.bind(dispatcher), origin);
    ({ default: factory } = await import(import.meta.resolve('@logto/connector-xiaomi')));
  } else {
    const ours = await import(`${lib}index.js`);
    const [authorize, token] = [`${origin}/oauth2/authorize`, `${origin}/oauth2/token`];
    factory = ours.createXiaomiConnector({ endpoints: { authorize, token, openApi: origin } });
  }
  const config = { ...benchApp, scope };
  const logto = new LogtoHost(await factory({ getConfig: async () => config }), {
    origin: new URL(redirectUri).origin,
    connectorId: 'xiaomi',
    // The same parse added to both connectors' CPU would blur their ratio.
    parseUserInfo: false,
  });
  return async (code: string) => {
    const attempt = await logto.start('sign-in page');
    const user = await logto.finish(attempt, { code, state: attempt.state });
    if (!user.id) throw new Error(`a sign-in returned no user id: ${JSON.stringify(user)}`);
    return user;
  };
};
