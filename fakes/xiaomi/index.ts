import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { authorizePath, decisionPath, handleAuthorize, handleDecision } from './authorize.ts';
import type { FaultKind, FaultTarget, Faults, Strikes } from './faults.ts';
import {
  defaultFaults,
  drawFault,
  drawLatency,
  garbageReply,
  html5xxReply,
  injectedErrorReply,
} from './faults.ts';
import { MacVerifier } from './mac.ts';
import { handleOpenApi, isOpenApiPath } from './open-api.ts';
import type { FakeApp, FakeUser } from './store.ts';
import { defaultApp, defaultUser, defineApp, defineUser, FakeStore } from './store.ts';
import { handleToken, tokenPath } from './token.ts';
import type { Quirks, Reply } from './wire.ts';
import { defaultQuirks, readParams } from './wire.ts';

export { ManualClock } from './clock.ts';
export { faultKinds, seededRandom } from './faults.ts';
export type { FaultKind, Faults, Strikes } from './faults.ts';
export { macAuthorization, createNonce } from './mac.ts';
export { defaultApp, defaultUser } from './store.ts';
export type { FakeApp, FakeUser } from './store.ts';
export type { Quirks } from './wire.ts';
export { tokenPrefix } from './wire.ts';
export { XiaomiCode, xiaomiCodeNames } from './xiaomi-codes.ts';

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

/** What happens to connections between answers: the ways real networks drop them. */
export interface Connections {
  /**
   * A connection idle this long is forgotten without a word, as a load balancer or NAT gateway
   * forgets it: no FIN and no Keep-Alive hint, and the next request on it gets a TCP reset before
   * Xiaomi reads it (logged as `dropped`). Unset: connections stay until `keepAliveTimeoutMs`.
   */
  idleCloseMs?: number;
  /** Closes every connection right after its answer, without a `Connection: close` header. */
  closeAfterAnswer: boolean;
}

type LogTarget = FaultTarget | 'decision' | 'unknown';

export interface RequestLogEntry {
  seq: number;
  target: LogTarget;
  method: string;
  path: string;
  /** Query and form parameters as received, secrets included: this is Xiaomi's side. */
  params: Record<string, string>;
  /** 0 when the connection was reset or the request was left hanging. */
  status: number;
  /**
   * `aborted`: the client went away before the answer was written. `dropped`: the request came on
   * a connection the network had forgotten (`idleCloseMs`) and never reached Xiaomi.
   */
  outcome: 'answered' | 'reset' | 'stalled' | 'aborted' | 'dropped';
  fault?: FaultKind;
  /** When the fault struck: before Xiaomi's logic ran (nothing spent), or after (a code spent). */
  strikes?: Strikes;
  /** The client's port as the server saw it: a proxy's upstream connection, or the connector's. */
  remotePort: number;
  xiaomiCode?: number;
  body: string;
  startedAt: number;
  durationMs: number;
}

export interface CannedAnswer {
  status: number;
  body: string;
  contentType?: string;
  /**
   * How the body ends. `whole` (the default). `stalls`: sent under a length it never reaches, then
   * nothing more, as from a server that hung mid-answer. `endless`: followed by filler that never
   * ends, as from a broken proxy; until the client hangs up or `close()`.
   */
  ends?: 'whole' | 'stalls' | 'endless';
}

/** A reply, and for a canned one how its body ends. */
type Answer = Reply & Pick<CannedAnswer, 'ends'>;

export interface FakeXiaomi {
  origin: string;
  /** What `createXiaomiConnector({ endpoints })` takes. */
  endpoints: { authorize: string; token: string; openApi: string };
  readonly app: FakeApp;
  readonly user: FakeUser;
  /** Adds an app or changes one (matched by clientId, the first app's when omitted). */
  setApp(input: Partial<FakeApp>): FakeApp;
  removeApp(clientId: string): void;
  setUser(input: Partial<FakeUser>): FakeUser;
  setFaults(faults: Partial<Faults>): void;
  /**
   * Faults for the next requests to one path, in order, before the random ones apply:
   * `scriptFaults('/user/profile', ['html5xx', 'reset'])`; `'none'` answers normally. With
   * `'after'`, each strikes once Xiaomi's logic has run: the code or refresh token is spent.
   */
  scriptFaults(path: string, kinds: (FaultKind | 'none')[], strikes?: Strikes): void;
  setConnections(connections: Partial<Connections>): void;
  /**
   * A fixed answer for one path in place of Xiaomi's logic, for property tests over bodies;
   * `undefined` restores the real one.
   */
  setCannedAnswer(path: string, answer: CannedAnswer | undefined): void;
  setQuirks(quirks: Partial<Quirks>): void;
  readonly requestLog: readonly RequestLogEntry[];
  clearLog(): void;
  /** Connections open on the server side right now, idle keep-alive ones included. */
  openConnections(): Promise<number>;
  /** Closes idle keep-alive connections, as a server does when their timeout runs out. */
  closeIdleConnections(): void;
  /** `count` more codes for the consent behind an unused `code` (load tests only). */
  issueCodesLike(code: string, count: number): string[];
  close(): Promise<void>;
}

const route = (method: string, path: string): LogTarget => {
  if (method === 'GET' && path === authorizePath) {
    return 'authorize';
  }
  if (method === 'POST' && path === decisionPath) {
    return 'decision';
  }
  if ((method === 'GET' || method === 'POST') && path === tokenPath) {
    return 'token';
  }
  return method === 'GET' && isOpenApiPath(path) ? 'openApi' : 'unknown';
};

/** Repeated parameters (the consent form's scope checkboxes) joined with a comma. */
const paramsRecord = (params: URLSearchParams): Record<string, string> =>
  Object.fromEntries([...new Set(params.keys())].map((key) => [key, params.getAll(key).join(',')]));

const isFaultTarget = (target: LogTarget): target is FaultTarget =>
  target === 'authorize' || target === 'token' || target === 'openApi';

/** A TCP reset; a TLS socket has no handle to reset, so it is destroyed instead. */
const reset = (socket: Socket) => {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
};

const notFound: Reply = {
  status: 404,
  headers: { 'content-type': 'text/plain' },
  body: 'Not Found',
};

/** A canned body that `stalls` or is `endless`: the answer is never finished. */
const writeUnfinished = (response: ServerResponse, socket: Socket, reply: Answer) => {
  response.writeHead(reply.status, {
    ...reply.headers,
    // Announced, never reached. An endless body goes chunked.
    ...(reply.ends === 'stalls' && {
      'content-length': String(Buffer.byteLength(reply.body) + 1024),
    }),
  });
  response.write(reply.body);
  if (reply.ends !== 'endless') {
    return;
  }
  const filler = ' '.repeat(64 * 1024);
  const pump = () => {
    while (!socket.destroyed && response.write(filler)) {
      // Until the socket pushes back; then again once it drains, until the client hangs up.
    }
    if (!socket.destroyed) {
      response.once('drain', pump);
    }
  };
  pump();
};

export const startFakeXiaomi = async (options: FakeXiaomiOptions = {}): Promise<FakeXiaomi> => {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const store = new FakeStore(now);
  const macVerifier = new MacVerifier(now);
  let faults: Faults = { ...defaultFaults, ...options.faults };
  const scriptedFaults = new Map<string, { kinds: (FaultKind | 'none')[]; strikes: Strikes }>();
  let connections: Connections = { closeAfterAnswer: false, ...options.connections };
  /** When each connection's last answer went out, for `idleCloseMs`. */
  const lastAnswered = new WeakMap<Socket, number>();
  const cannedAnswers = new Map<string, Answer>();
  let quirks: Quirks = { ...defaultQuirks, ...options.quirks };
  const requestLog: RequestLogEntry[] = [];
  let seq = 0;

  for (const app of options.apps ?? [defaultApp]) {
    const defined = defineApp(app);
    store.apps.set(defined.clientId, defined);
  }
  for (const user of options.users ?? [defaultUser]) {
    const defined = defineUser(user);
    store.users.set(defined.userId, defined);
  }
  const firstApp = () => [...store.apps.values()][0] ?? defaultApp;
  const firstUser = () => [...store.users.values()][0] ?? defaultUser;

  const answer = (
    target: LogTarget,
    request: IncomingMessage,
    url: URL,
    params: URLSearchParams,
  ): Reply => {
    switch (target) {
      case 'authorize':
        return handleAuthorize(store, params);
      case 'decision':
        return handleDecision(store, params);
      case 'token':
        return handleToken(store, params, quirks);
      case 'openApi':
        return handleOpenApi(
          store,
          macVerifier,
          {
            method: request.method ?? 'GET',
            path: url.pathname,
            query: url.searchParams,
            headers: request.headers,
          },
          quirks,
        );
      case 'unknown':
        return notFound;
    }
  };

  const faultReply = (kind: FaultKind, target: FaultTarget): Reply | undefined => {
    switch (kind) {
      case 'html5xx':
        return html5xxReply(random);
      case 'garbage':
        return garbageReply(target, random);
      case 'errorEnvelope':
        return injectedErrorReply(target, faults, quirks, random);
      case 'reset':
      case 'stall':
        return undefined;
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const startedAt = Date.now();
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const target = route(method, url.pathname);
    let params = new URLSearchParams(url.search);
    const { socket } = request;
    const log = (
      entry: Pick<
        RequestLogEntry,
        'status' | 'outcome' | 'body' | 'xiaomiCode' | 'fault' | 'strikes'
      >,
    ) => {
      requestLog.push({
        seq: seq++,
        target,
        method,
        path: url.pathname,
        params: paramsRecord(params),
        ...entry,
        remotePort: socket.remotePort ?? 0,
        startedAt,
        durationMs: Date.now() - startedAt,
      });
    };
    const idleSince = lastAnswered.get(socket);
    if (
      connections.idleCloseMs !== undefined &&
      idleSince !== undefined &&
      startedAt - idleSince > connections.idleCloseMs
    ) {
      log({ status: 0, outcome: 'dropped', body: '' });
      reset(socket);
      return;
    }
    try {
      params = await readParams(request, url);
    } catch {
      log({ status: 0, outcome: 'aborted', body: '' });
      return;
    }
    const latency = drawLatency(faults, random);
    if (latency > 0) {
      await sleep(latency);
    }
    const faultTarget = isFaultTarget(target) ? target : undefined;
    const script = faultTarget && scriptedFaults.get(url.pathname.toLowerCase());
    const scripted = script?.kinds.shift();
    const fault =
      scripted === undefined
        ? faultTarget && drawFault(faults, faultTarget, random)
        : scripted === 'none'
          ? undefined
          : scripted;
    // Before: a broken gateway in front of Xiaomi, nothing spent. After: Xiaomi has answered (a
    // code or refresh token is spent) and the answer is lost on its way back.
    const strikes: Strikes | undefined =
      fault &&
      (scripted === undefined
        ? faults.afterShare > 0 && random() < faults.afterShare
          ? 'after'
          : 'before'
        : script!.strikes);
    const xiaomiAnswer = (): Answer =>
      cannedAnswers.get(url.pathname.toLowerCase()) ?? answer(target, request, url, params);
    const processed = strikes === 'after' ? xiaomiAnswer() : undefined;
    if (fault === 'reset') {
      log({ status: 0, outcome: 'reset', body: '', fault, strikes });
      reset(socket);
      return;
    }
    if (fault === 'stall') {
      // Left unanswered: the client's timeout or close() ends it.
      log({ status: 0, outcome: 'stalled', body: '', fault, strikes });
      return;
    }
    const reply: Answer =
      (fault && faultTarget && faultReply(fault, faultTarget)) ?? processed ?? xiaomiAnswer();
    // A client that gave up (its timeout) still had its request processed, as on a real server.
    log({
      status: reply.status,
      outcome: socket.destroyed ? 'aborted' : reply.ends === 'stalls' ? 'stalled' : 'answered',
      body: reply.body,
      xiaomiCode: reply.xiaomiCode,
      fault,
      strikes,
    });
    if (reply.ends === 'stalls' || reply.ends === 'endless') {
      writeUnfinished(response, socket, reply);
      return;
    }
    response.writeHead(reply.status, {
      ...reply.headers,
      'content-length': String(Buffer.byteLength(reply.body)),
    });
    response.on('finish', () => {
      lastAnswered.set(socket, Date.now());
      if (connections.closeAfterAnswer) {
        // Closed both ways, as such a server does: a request written to it afterwards is never
        // read, and gets a reset.
        socket.destroy();
      }
    });
    response.end(reply.body);
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      // A client that went away mid-request is normal under faults; anything else is a fake bug.
      if (!request.socket.destroyed) {
        console.error('fake Xiaomi failed on', request.url, error);
        response.destroy();
      }
    });
  };
  const server = options.tls ? createTlsServer(options.tls, onRequest) : createServer(onRequest);
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 5000;
  const applyConnections = () => {
    // 0 sends no Keep-Alive hint and never closes an idle connection: `idleCloseMs` decides.
    server.keepAliveTimeout = connections.idleCloseMs === undefined ? keepAliveTimeoutMs : 0;
  };
  applyConnections();
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
    setApp(input) {
      const clientId = input.clientId ?? firstApp().clientId;
      const app = { ...(store.apps.get(clientId) ?? defineApp()), ...input, clientId };
      store.apps.set(clientId, app);
      return app;
    },
    removeApp(clientId) {
      store.apps.delete(clientId);
    },
    setUser(input) {
      const userId = input.userId ?? firstUser().userId;
      const user = { ...(store.users.get(userId) ?? defineUser()), ...input, userId };
      store.users.set(userId, user);
      return user;
    },
    setFaults(next) {
      faults = { ...defaultFaults, ...next };
    },
    scriptFaults(path, kinds, strikes = 'before') {
      scriptedFaults.set(path.toLowerCase(), { kinds: [...kinds], strikes });
    },
    setConnections(next) {
      connections = { closeAfterAnswer: false, ...next };
      applyConnections();
    },
    setCannedAnswer(path, canned) {
      if (canned) {
        cannedAnswers.set(path.toLowerCase(), {
          status: canned.status,
          headers: { 'content-type': canned.contentType ?? 'application/json' },
          body: canned.body,
          ends: canned.ends,
        });
      } else {
        cannedAnswers.delete(path.toLowerCase());
      }
    },
    setQuirks(next) {
      quirks = { ...defaultQuirks, ...next };
    },
    requestLog,
    clearLog() {
      requestLog.length = 0;
    },
    openConnections: () =>
      new Promise((resolve, reject) => {
        server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
      }),
    closeIdleConnections: () => {
      server.closeIdleConnections();
    },
    issueCodesLike: (code, count) => store.issueCodesLike(code, count),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
