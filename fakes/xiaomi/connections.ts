import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

import type { Reply } from './wire.ts';

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

/** A reply, and how its body ends (see `CannedAnswer`). */
export type Answer = Reply & { ends?: 'whole' | 'stalls' | 'endless' };

/** A TCP reset; a TLS socket has no handle to reset, so it is destroyed instead. */
export const reset = (socket: Socket): void => {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
};

/** A body that `stalls` or is `endless`: the answer is never finished. */
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

/** How the fake's connections end, between answers and after them. */
export class ConnectionPolicy {
  private connections: Connections = { closeAfterAnswer: false };
  /** When each connection's last answer went out, for `idleCloseMs`. */
  private readonly lastAnswered = new WeakMap<Socket, number>();

  constructor(
    private readonly server: { keepAliveTimeout: number },
    private readonly keepAliveTimeoutMs: number,
  ) {}

  set(next: Partial<Connections>): void {
    this.connections = { closeAfterAnswer: false, ...next };
    // 0 sends no Keep-Alive hint and never closes an idle connection: `idleCloseMs` decides.
    this.server.keepAliveTimeout =
      this.connections.idleCloseMs === undefined ? this.keepAliveTimeoutMs : 0;
  }

  /** Whether the network forgot this connection while it sat idle, before a request came on it. */
  forgot(socket: Socket, at: number): boolean {
    const { idleCloseMs } = this.connections;
    const idleSince = this.lastAnswered.get(socket);
    return idleCloseMs !== undefined && idleSince !== undefined && at - idleSince > idleCloseMs;
  }

  write(response: ServerResponse, socket: Socket, reply: Answer): void {
    if (reply.ends === 'stalls' || reply.ends === 'endless') {
      writeUnfinished(response, socket, reply);
      return;
    }
    response.writeHead(reply.status, {
      ...reply.headers,
      'content-length': String(Buffer.byteLength(reply.body)),
    });
    response.on('finish', () => {
      this.lastAnswered.set(socket, Date.now());
      if (this.connections.closeAfterAnswer) {
        // Closed both ways, as such a server does: a request written to it afterwards is never
        // read, and gets a reset.
        socket.destroy();
      }
    });
    response.end(reply.body);
  }
}
