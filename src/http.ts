/**
 * The transport: one HTTP exchange on Node's own client, its answer bounded in size and time. It
 * knows nothing of Logto or of what Xiaomi's answers mean; on a failure it tells only whether the
 * server can have read the request, which is what the retry rule (xiaomi.ts) needs.
 */
import type * as NodeHttp from 'node:http';
import type { Agent, AgentOptions, IncomingMessage, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';

export type HttpRequest = {
  method: 'GET' | 'POST';
  /** The whole URL, query included. */
  url: string;
  /** A form body (`application/x-www-form-urlencoded`). */
  form?: string;
  /** Called for every request sent: a MAC signature needs a fresh nonce each time. */
  headers?: () => Record<string, string>;
  /**
   * Sent on a new connection of its own, never a reused one: where a failure must tell whether
   * the server read the request, or where a reused connection just failed.
   */
  ownConnection?: boolean;
};

export type HttpResponse = { status: number; body: string };

/**
 * The transport seam: one request, its whole answer, until `signal` aborts. A request that gets
 * no whole answer rejects with a TransportError; anything else it throws is the connector's bug.
 */
export type Send = (request: HttpRequest, signal: AbortSignal) => Promise<HttpResponse>;

/**
 * A request that got no whole answer. A code, never a message: Node's messages may carry the URL,
 * and Open API URLs carry the token.
 */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    /**
     * Whether a connection to the server (or to the proxy, for plain HTTP) was open when it
     * failed. When false, the server cannot have read the request: refused, no such host, a
     * proxy that could not open the tunnel, a TLS handshake that failed or ran out of time.
     */
    readonly reached: boolean,
    /**
     * Whether it failed on a reused keep-alive connection before any byte of an answer came back:
     * what a connection that the server, a load balancer or a NAT gateway dropped while it was
     * idle does to the next request written to it, unread (Node's `request.reusedSocket`).
     */
    readonly stale: boolean,
  ) {
    super(code);
  }
}

type Transport = {
  request: typeof httpRequest;
  /** Keep-alive: a sign-in makes two to four calls to the same two Xiaomi hosts. */
  pooled: Agent;
  /** A connection of its own for each request (`ownConnection`). */
  fresh: Agent;
};

/**
 * Idle connections are closed after this: below the idle timeouts of common load balancers and
 * NAT gateways (5 s and up), which close them without telling the client.
 */
const idleSocketMs = 4000;

/**
 * Node's own HTTP client rather than got or fetch: their per-request layers cost more CPU than the
 * rest of a sign-in (docs/benchmarks.md). Loaded at the first sign-in: Logto imports every
 * installed connector when it boots, and most never sign anyone in.
 *
 * The agents take Node's own proxy settings from its global agents: Node builds those with
 * `proxyEnv` (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) when NODE_USE_ENV_PROXY=1 or --use-env-proxy is
 * set, on Node versions that support it (22.21, 24.5 and later), and without one otherwise; older
 * Node ignores the option. So every Xiaomi call goes where Node's own clients would send it.
 */
type Transports = { http: Transport; https: Transport };
let loading: Promise<Transports> | undefined;
let loaded: Transports | undefined;

const transportOf = ({ Agent: AgentClass, globalAgent, request }: typeof NodeHttp): Transport => {
  const { proxyEnv } = (globalAgent as { options?: { proxyEnv?: unknown } }).options ?? {};
  const options = { proxyEnv } as AgentOptions;
  return {
    request,
    pooled: new AgentClass({
      ...options,
      keepAlive: true,
      timeout: idleSocketMs,
      // The most recently used connection first: the one least likely to have been dropped.
      scheduling: 'lifo',
    }),
    fresh: new AgentClass({ ...options, keepAlive: false }),
  };
};

const loadTransports = async () =>
  (loading ??= Promise.all([import('node:http'), import('node:https')]).then(
    ([http, https]) =>
      (loaded = {
        http: transportOf(http),
        // The same shape: https.Agent and https.request take http's options and TLS ones.
        https: transportOf(https as unknown as typeof NodeHttp),
      }),
  ));

/** Xiaomi's answers are a few hundred bytes; a broken proxy must not fill the server's memory. */
const maxBodyLength = 64 * 1024;

/**
 * One exchange, settled once: by the whole body, by an error of the request or the response (a
 * reset mid-body included), or by the signal, whichever comes first.
 */
const exchange = (
  transport: Transport,
  agent: Agent,
  request: HttpRequest,
  signal: AbortSignal,
): Promise<HttpResponse> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new TransportError('ETIMEDOUT', false, false));
      return;
    }
    const headers: Record<string, string> = {
      'user-agent': 'connector-xiaomi',
      ...(request.form === undefined
        ? {}
        : {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': String(Buffer.byteLength(request.form)),
          }),
      ...request.headers?.(),
    };
    const outgoing = transport.request(request.url, { method: request.method, headers, agent });
    let reached = false;
    let answered = false;
    let settled = false;
    const settle = () => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (code: string) => {
      if (settled) return;
      settle();
      reject(
        new TransportError(code, reached, outgoing.reusedSocket && !answered && !signal.aborted),
      );
      outgoing.destroy();
    };
    const onAbort = () => {
      fail('ETIMEDOUT');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    outgoing.once('socket', (socket: Socket) => {
      // Reused, or handed over already connected (a tunnel through a proxy): open. Otherwise open
      // once TCP, and TLS for HTTPS, are up.
      if (!socket.connecting) {
        reached = true;
        return;
      }
      socket.once(
        (socket as { encrypted?: boolean }).encrypted ? 'secureConnect' : 'connect',
        () => {
          reached = true;
        },
      );
    });
    outgoing.on('error', (error: unknown) => {
      const { code } = error as { code?: unknown };
      fail(typeof code === 'string' ? code : 'failed');
    });
    outgoing.on('response', (response: IncomingMessage) => {
      answered = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > maxBodyLength) {
          fail('answer too large');
        }
      });
      response.on('error', () => {
        fail('ECONNRESET');
      });
      response.on('close', () => {
        if (!response.complete) fail('ECONNRESET');
      });
      response.on('end', () => {
        if (settled) return;
        settle();
        resolve({ status: response.statusCode ?? 0, body: text });
      });
    });
    outgoing.end(request.form);
  });

const sendOn = ({ http, https }: Transports, request: HttpRequest, signal: AbortSignal) => {
  const transport = request.url.startsWith('https:') ? https : http;
  const agent = request.ownConnection ? transport.fresh : transport.pooled;
  return exchange(transport, agent, request, signal);
};

/**
 * Node's own client, as the production transport. Not an async function: once the clients are
 * loaded, a call goes straight to the exchange, without the extra turns of the microtask queue
 * that awaiting them again would cost every request.
 */
export const send: Send = (request, signal) =>
  loaded
    ? sendOn(loaded, request, signal)
    : loadTransports().then((transports) => sendOn(transports, request, signal));
