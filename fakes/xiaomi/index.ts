import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import { authorizePath } from './authorize.ts';
import type { Connections } from './connections.ts';
import { ConnectionPolicy } from './connections.ts';
import type { FaultKind, Faults, Strikes } from './faults.ts';
import { defaultFaults } from './faults.ts';
import type { CannedAnswer, RequestLogEntry } from './responder.ts';
import { Responder } from './responder.ts';
import type { FakeApp, FakeUser } from './store.ts';
import { defaultApp, defaultUser, FakeStore } from './store.ts';
import { tokenPath } from './token.ts';
import type { Quirks } from './wire.ts';

export { ManualClock } from './clock.ts';
export { faultKinds, seededRandom } from './faults.ts';
export type { Faults } from './faults.ts';
export { macAuthorization } from './mac.ts';
export type { RequestLogEntry } from './responder.ts';
export { defaultApp } from './store.ts';
export type { FakeApp } from './store.ts';
export { tokenPrefix } from './wire.ts';

export interface FakeXiaomiOptions {
  /** Registered apps; the first is `fake.app`. Defaults to one app with no redirect URI. */
  apps?: Partial<FakeApp>[];
  /** Accounts; the first is the one signed in on the consent page. */
  users?: Partial<FakeUser>[];
  /** Xiaomi's clock for code, token and nonce lifetimes (not for latency). */
  now?: () => number;
  /** Drives faults and latency; pass `seededRandom(n)` to replay a run. */
  random?: () => number;
  faults?: Partial<Faults>;
  quirks?: Partial<Quirks>;
  /** How long an idle keep-alive connection stays open, like any HTTP server's setting. */
  keepAliveTimeoutMs?: number;
  /** How connections end; see `setConnections`. */
  connections?: Partial<Connections>;
  /** Serves HTTPS with this key and certificate instead of plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * The host name in `origin` and `endpoints`, for a name only a proxy can resolve (the server
   * itself always listens on 127.0.0.1). Defaults to 127.0.0.1.
   */
  hostname?: string;
}

export type FakeXiaomi = Awaited<ReturnType<typeof startFakeXiaomi>>;

export const startFakeXiaomi = async (options: FakeXiaomiOptions = {}) => {
  const store = new FakeStore(options.now ?? Date.now);
  for (const app of options.apps ?? [defaultApp]) {
    const defined = { ...defaultApp, ...app };
    store.apps.set(defined.clientId, defined);
  }
  for (const user of options.users ?? [defaultUser]) {
    const defined = { ...defaultUser, ...user };
    store.users.set(defined.userId, defined);
  }
  const firstApp = () => [...store.apps.values()][0] ?? defaultApp;
  const firstUser = () => [...store.users.values()][0] ?? defaultUser;

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    responder.respond(request, response).catch((error: unknown) => {
      // A client that went away mid-request is normal under faults; anything else is a fake bug.
      if (!request.socket.destroyed) {
        console.error('fake Xiaomi failed on', request.url, error);
        response.destroy();
      }
    });
  };
  const server = options.tls ? createTlsServer(options.tls, onRequest) : createServer(onRequest);
  const connections = new ConnectionPolicy(server, options.keepAliveTimeoutMs ?? 5000);
  connections.set(options.connections ?? {});
  const responder = new Responder(store, connections, options.random ?? Math.random, options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `${options.tls ? 'https' : 'http'}://${options.hostname ?? '127.0.0.1'}:${port}`;

  return {
    origin,
    /** What `createXiaomiConnector({ endpoints })` takes. */
    endpoints: {
      authorize: `${origin}${authorizePath}`,
      token: `${origin}${tokenPath}`,
      openApi: origin,
    },
    get app() {
      return firstApp();
    },
    get user() {
      return firstUser();
    },
    /** Adds an app or changes one (matched by clientId, the first app's when omitted). */
    setApp(input: Partial<FakeApp>) {
      const clientId = input.clientId ?? firstApp().clientId;
      const app = { ...(store.apps.get(clientId) ?? defaultApp), ...input, clientId };
      store.apps.set(clientId, app);
      return app;
    },
    setUser(input: Partial<FakeUser>) {
      const userId = input.userId ?? firstUser().userId;
      const user = { ...(store.users.get(userId) ?? defaultUser), ...input, userId };
      store.users.set(userId, user);
      return user;
    },
    setFaults(next: Partial<Faults>) {
      responder.faults = { ...defaultFaults, ...next };
    },
    /**
     * Faults for the next requests to one path, in order, before the random ones apply:
     * `scriptFaults('/user/profile', ['html5xx', 'reset'])`; `'none'` answers normally. With
     * `'after'`, each strikes once Xiaomi's logic has run: the code or refresh token is spent.
     */
    scriptFaults(path: string, kinds: (FaultKind | 'none')[], strikes: Strikes = 'before') {
      responder.scripts.set(path.toLowerCase(), { kinds: [...kinds], strikes });
    },
    setConnections(next: Partial<Connections>) {
      connections.set(next);
    },
    /**
     * A fixed answer for one path in place of Xiaomi's logic, for property tests over bodies;
     * `undefined` restores the real one.
     */
    setCannedAnswer(path: string, canned: CannedAnswer | undefined) {
      const headers = { 'content-type': canned?.contentType ?? 'application/json' };
      responder.canned.set(path.toLowerCase(), canned && { ...canned, headers });
    },
    requestLog: responder.log as readonly RequestLogEntry[],
    clearLog() {
      responder.log.length = 0;
    },
    /** Connections open on the server side right now, idle keep-alive ones included. */
    openConnections: () =>
      new Promise<number>((resolve, reject) => {
        server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
      }),
    /** Closes idle keep-alive connections, as a server does when their timeout runs out. */
    closeIdleConnections: () => {
      server.closeIdleConnections();
    },
    /** `count` more codes for the consent behind an unused `code` (load tests only). */
    issueCodesLike: (code: string, count: number) => store.issueCodesLike(code, count),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
