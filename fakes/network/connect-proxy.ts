import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';

/**
 * An outbound HTTP proxy on loopback, like the one a self-hoster's network offers Logto: HTTPS
 * through CONNECT tunnels. It is the only way to reach a fake Xiaomi whose host name no resolver
 * knows: it maps `*.invalid` (and 127.0.0.1) to 127.0.0.1 and refuses every other target, so
 * nothing ever leaves the machine.
 */
export type ConnectProxy = Awaited<ReturnType<typeof startConnectProxy>>;

const loopbackTarget = (host: string): boolean =>
  host === '127.0.0.1' || host === 'localhost' || host.endsWith('.invalid');

export const startConnectProxy = async () => {
  const upstreamPorts = new Set<number>();
  const sockets = new Set<Socket>();
  let tunnels = 0;
  let refused = 0;
  let toRefuse = 0;

  // Tunnels only: both of Xiaomi's hosts are HTTPS, and no test sends plain HTTP through a proxy.
  const server = createServer((_, response) => {
    response.writeHead(405).end();
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
    /** For HTTPS_PROXY. */
    url: `http://127.0.0.1:${port}`,
    /**
     * Every connection the proxy opened to a target, by its local port: the port the target sees
     * requests come from (the fake's `requestLog[].remotePort`).
     */
    upstreamPorts: upstreamPorts as ReadonlySet<number>,
    /** CONNECT requests answered with a tunnel. */
    get tunnels() {
      return tunnels;
    },
    /** CONNECT requests refused (`refuseNext`, or a target off loopback). */
    get refused() {
      return refused;
    },
    /** Refuses the next `count` CONNECT requests with 502, as a proxy that cannot reach a host. */
    refuseNext(count: number) {
      toRefuse = count;
    },
    /** Forgets what was counted so far. */
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
