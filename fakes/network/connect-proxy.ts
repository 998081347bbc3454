import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';

/**
 * An outbound HTTP proxy on loopback, like the one a self-hoster's network offers Logto: HTTPS
 * through CONNECT tunnels, plain HTTP forwarded from absolute-form requests. It is the only way to
 * reach a fake Xiaomi whose host name no resolver knows: it maps `*.invalid` (and 127.0.0.1) to
 * 127.0.0.1 and refuses every other target, so nothing ever leaves the machine.
 */
export interface ConnectProxy {
  /** For HTTP_PROXY and HTTPS_PROXY. */
  url: string;
  /**
   * Every connection the proxy opened to a target, by its local port: the port the target sees
   * requests come from (the fake's `requestLog[].remotePort`).
   */
  readonly upstreamPorts: ReadonlySet<number>;
  /** CONNECT requests answered with a tunnel. */
  readonly tunnels: number;
  /** CONNECT requests refused (`refuseNext`, or a target off loopback). */
  readonly refused: number;
  /** Refuses the next `count` CONNECT requests with 502, as a proxy that cannot reach a host. */
  refuseNext(count: number): void;
  /** Forgets what was counted so far. */
  reset(): void;
  close(): Promise<void>;
}

const loopbackTarget = (host: string): boolean =>
  host === '127.0.0.1' || host === 'localhost' || host.endsWith('.invalid');

export const startConnectProxy = async (): Promise<ConnectProxy> => {
  const upstreamPorts = new Set<number>();
  const sockets = new Set<Socket>();
  let tunnels = 0;
  let refused = 0;
  let toRefuse = 0;

  const server = createServer((request, response) => {
    // Plain HTTP through a proxy: the request line carries the whole URL.
    let target: URL;
    try {
      target = new URL(request.url ?? '');
    } catch {
      response.writeHead(400).end();
      return;
    }
    if (!loopbackTarget(target.hostname)) {
      response.writeHead(502).end();
      return;
    }
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: request.method,
        headers: request.headers,
        agent: false,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('socket', (socket) => {
      socket.once('connect', () => upstreamPorts.add(socket.localPort!));
    });
    upstream.on('error', () => {
      response.destroy();
    });
    request.pipe(upstream);
  });

  server.on('connect', (request, client: Socket, head: Buffer) => {
    const [host = '', port = ''] = (request.url ?? '').split(/:(?=\d+$)/);
    if (toRefuse > 0 || !loopbackTarget(host)) {
      toRefuse = Math.max(0, toRefuse - 1);
      refused++;
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), '127.0.0.1', () => {
      upstreamPorts.add(upstream.localPort!);
      tunnels++;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    upstreamPorts,
    get tunnels() {
      return tunnels;
    },
    get refused() {
      return refused;
    },
    refuseNext(count) {
      toRefuse = count;
    },
    reset() {
      upstreamPorts.clear();
      tunnels = 0;
      refused = 0;
    },
    close: async () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
