// The two connectors, and one sign-in through either the way Logto's core runs it. Loaded by the
// measured process (worker.ts) only after it has timed the import of the connector itself.
import type { CreateConnector, SocialConnector, SocialUserInfo } from '@logto/connector-kit';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { LogtoHost } from '../fake-logto/logto-host.ts';

import { routeOfficialToFake } from './route-official.ts';

export { ConnectorError } from '@logto/connector-kit';

export const connectors = ['official', 'ours'] as const;
export type ConnectorName = (typeof connectors)[number];

export const connectorLabels: Record<ConnectorName, string> = {
  official: '@logto/connector-xiaomi',
  ours: 'connector-xiaomi',
};

/** Scope `1` is all the official connector fetches; `1 3 4 6` is this package's full profile. */
export const scopes = ['1', '1 3 4 6'] as const;
export type Scope = (typeof scopes)[number];

export const benchApp = { clientId: '2882303761520000001', clientSecret: 'bench-secret-5Jx9' };
export const redirectUri = 'https://logto.bench.local/callback/xiaomi';

type Factory = CreateConnector<SocialConnector>;

/**
 * The connector's factory, talking to the fake. The official is routed by rewriting origins in
 * fetch's dispatcher (route-official.ts); ours is given the fake's origin through the endpoints
 * option of `lib/testing.js`, the same build as `lib/index.js` with its endpoints configurable.
 */
const loadFactory = async (
  name: ConnectorName,
  fakeOrigin: string,
  libDirectory: string,
): Promise<Factory> => {
  if (name === 'official') {
    await routeOfficialToFake(fakeOrigin);
    const official = import.meta.resolve('@logto/connector-xiaomi');
    return ((await import(official)) as { default: Factory }).default;
  }
  const testing = (await import(pathToFileURL(path.join(libDirectory, 'testing.js')).href)) as {
    createXiaomiConnector: (options: {
      endpoints: { authorize: string; token: string; openApi: string };
    }) => Factory;
  };
  return testing.createXiaomiConnector({
    endpoints: {
      authorize: `${fakeOrigin}/oauth2/authorize`,
      token: `${fakeOrigin}/oauth2/token`,
      openApi: fakeOrigin,
    },
  });
};

export type SignIn = (code: string) => Promise<SocialUserInfo>;

/**
 * Both server-side steps of a sign-in as Logto's sign-in page runs them, through the same host
 * model the tests use: the authorization URI (with the session Logto keeps), then the callback as
 * the page posts it, `{ redirectUri, code }` without state, with the session read once. The
 * browser's part, the consent page, happened beforehand on the fake: `code` comes from there.
 */
export const signInWith = async (
  name: ConnectorName,
  scope: string,
  fakeOrigin: string,
  libDirectory: string,
): Promise<SignIn> => {
  const factory = await loadFactory(name, fakeOrigin, libDirectory);
  const config = { ...benchApp, scope };
  const connector = await factory({ getConfig: async () => config });
  const { origin, pathname } = new URL(redirectUri);
  const logto = new LogtoHost(connector, {
    origin,
    connectorId: pathname.split('/').pop()!,
    parseUserInfo: false,
  });
  return async (code) => {
    const attempt = await logto.start('sign-in page');
    const user = await logto.finish(attempt, { code, state: attempt.state });
    if (!user.id) {
      throw new Error(`a sign-in returned no user id: ${JSON.stringify(user)}`);
    }
    return user;
  };
};
