import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { createXiaomiConnector } from '../../src/testing.ts';
import {
  baseConfig,
  callback,
  envelope,
  expectConnectorError,
  makeConnector,
  profileData,
  signInSession,
  tokenBody,
} from './fixtures.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const servers: { server: Server; sockets: Set<Socket> }[] = [];

/** A real socket on loopback: nock cannot stall or reset a request faithfully. */
const startXiaomi = async (handler: Handler) => {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  servers.push({ server, sockets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authorize: `${origin}/oauth2/authorize`,
    token: `${origin}/oauth2/token`,
    openApi: origin,
  };
};

afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

const ok: Handler = (request, response) => {
  response.end(
    request.url?.startsWith('/oauth2/token') ? tokenBody() : JSON.stringify(envelope(profileData)),
  );
};

describe('network failures', () => {
  it('a stalled token endpoint fails the sign-in within the time bound', async () => {
    const endpoints = await startXiaomi(() => {
      // never answers
    });
    const connector = await makeConnector(undefined, { endpoints, timeoutMs: 300 });
    const started = Date.now();
    const data = await expectConnectorError(
      connector.getUserInfo(callback, signInSession),
      'general',
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(data.hint).toContain('timed out');
  });

  it('a stalled profile call fails the sign-in within the time bound, retry included', async () => {
    const endpoints = await startXiaomi((request, response) => {
      if (request.url?.startsWith('/oauth2/token')) ok(request, response);
    });
    const connector = await makeConnector(undefined, { endpoints, timeoutMs: 400 });
    const started = Date.now();
    await expectConnectorError(connector.getUserInfo(callback, signInSession), 'general');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a body that stops half-way fails within the time bound', async () => {
    const endpoints = await startXiaomi((_, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      response.write('&&&START&&&{"access_');
    });
    const connector = await makeConnector(undefined, { endpoints, timeoutMs: 300 });
    await expectConnectorError(connector.getUserInfo(callback, signInSession), 'general');
  });

  it('a token exchange reset twice is tried on a new connection once, then fails with a ConnectorError', async () => {
    let tokenCalls = 0;
    const endpoints = await startXiaomi((request) => {
      tokenCalls += 1;
      request.socket.destroy();
    });
    const connector = await makeConnector(undefined, { endpoints });
    const data = await expectConnectorError(
      connector.getUserInfo(callback, signInSession),
      'general',
    );
    expect(data.hint).toContain('could not be reached');
    expect(tokenCalls).toBe(2);
  });

  it('a connection reset on user/profile is retried once', async () => {
    let profileCalls = 0;
    const endpoints = await startXiaomi((request, response) => {
      if (request.url?.startsWith('/user/profile') && ++profileCalls === 1) {
        request.socket.destroy();
        return;
      }
      ok(request, response);
    });
    const connector = await makeConnector(undefined, { endpoints });
    await expect(connector.getUserInfo(callback, signInSession)).resolves.toMatchObject({
      id: 'union-1',
    });
    expect(profileCalls).toBe(2);
  });

  it('a refused connection becomes a ConnectorError', async () => {
    const endpoints = await startXiaomi(ok);
    const { server } = servers.pop()!;
    await new Promise((resolve) => server.close(resolve));
    const connector = await makeConnector(undefined, { endpoints });
    const data = await expectConnectorError(
      connector.getUserInfo(callback, signInSession),
      'general',
    );
    expect(data.hint).toContain('ECONNREFUSED');
  });

  it('reuses connections across sign-ins (keep-alive)', async () => {
    const remotePorts = new Set<number>();
    const endpoints = await startXiaomi((request, response) => {
      remotePorts.add(request.socket.remotePort ?? 0);
      ok(request, response);
    });
    const connector = await makeConnector(undefined, { endpoints });
    for (let index = 0; index < 5; index += 1) {
      await connector.getUserInfo(callback, signInSession);
    }
    expect(remotePorts.size).toBe(1);
  });
});

describe('time budget', () => {
  it('a getConfig slower than the sign-in’s time bound fails it without calling Xiaomi', async () => {
    let calls = 0;
    const endpoints = await startXiaomi((request, response) => {
      calls += 1;
      ok(request, response);
    });
    const connector = await createXiaomiConnector({ endpoints, timeoutMs: 50 })({
      getConfig: async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return baseConfig;
      },
    });
    const data = await expectConnectorError(
      connector.getUserInfo(callback, signInSession),
      'general',
    );
    expect(data.hint).toContain('getConfig in time');
    expect(calls).toBe(0);
  });
});

describe('the package’s default export', () => {
  it('talks to Xiaomi’s real hosts', async () => {
    const { default: createConnector } = await import('../../src/index.ts');
    const connector = await createConnector({ getConfig: async () => baseConfig });
    const uri = await connector.getAuthorizationUri(
      {
        state: 's',
        redirectUri: 'https://a/cb',
        connectorId: 'c',
        connectorFactoryId: 'f',
        jti: 'j',
        headers: {},
      },
      async () => undefined,
    );
    expect(uri.startsWith('https://account.xiaomi.com/oauth2/authorize?')).toBe(true);
  });
});

describe('retries', () => {
  it('a 5xx then a reset on user/profile is not tried a third time', async () => {
    let profileCalls = 0;
    const endpoints = await startXiaomi((request, response) => {
      if (!request.url?.startsWith('/user/profile')) {
        ok(request, response);
        return;
      }
      profileCalls += 1;
      if (profileCalls === 1) {
        response.writeHead(503).end('busy');
        return;
      }
      request.socket.destroy();
    });
    const connector = await makeConnector(undefined, { endpoints });
    await expectConnectorError(connector.getUserInfo(callback, signInSession), 'general');
    expect(profileCalls).toBe(2);
  });
});

describe('oversized answers', () => {
  it('an endless body is cut off and fails the sign-in with a ConnectorError', async () => {
    const endpoints = await startXiaomi((_, response) => {
      response.writeHead(200);
      const chunk = 'x'.repeat(64 * 1024);
      const pump = () => {
        while (response.write(chunk)) {
          // fill the socket until it pushes back
        }
        response.once('drain', pump);
      };
      pump();
    });
    const connector = await makeConnector(undefined, { endpoints });
    const data = await expectConnectorError(
      connector.getUserInfo(callback, signInSession),
      'general',
    );
    expect(data.hint).toContain('answer too large');
  });
});
