/**
 * `npm run demo`: a whole Xiaomi sign-in, offline. A local fake Xiaomi plays Xiaomi, this server
 * plays Logto, and the connector in between is the package's own code (src/), pointed at the fake
 * through the internal `createXiaomiConnector` factory.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { createXiaomiConnector } from '../src/index.ts';
import { startFakeXiaomi } from '../fakes/xiaomi/index.ts';

import { connectorId, LogtoPart } from './logto-part.ts';
import { expiredPage, homePage, resultPage } from './pages.ts';

export interface Demo {
  url: string;
  xiaomiOrigin: string;
  close(): Promise<void>;
}

const logoPath = fileURLToPath(new URL('../logo.svg', import.meta.url));
const sessionCookie = 'demo_sid';

// Served locally so the page loads nothing from the internet, unlike Xiaomi's CDN avatars.
const avatarSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><circle cx="24" cy="24" r="24" fill="#ff6900"/><text x="24" y="31" font-family="sans-serif" font-size="20" fill="#fff" text-anchor="middle">LJ</text></svg>`;

const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

const send = (
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
) => {
  response.writeHead(status, { 'content-type': 'text/html;charset=utf-8', ...headers });
  response.end(body);
};

const readCookie = (request: IncomingMessage, name: string): string | undefined =>
  (request.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([key]) => key === name)?.[1];

export const startDemo = async ({ port = 0, host = '127.0.0.1' } = {}): Promise<Demo> => {
  const server = createServer();
  const actualPort = await listen(server, port, host);
  const origin = `http://${host}:${actualPort}`;
  const redirectUri = `${origin}/callback/${connectorId}`;

  const fake = await startFakeXiaomi({
    apps: [{ redirectUris: [redirectUri], permittedScopes: [1, 3, 4, 6] }],
    users: [
      { nickname: 'Lei Jun (demo)', icon: `${origin}/avatar.svg` },
      {
        userId: '2233445566',
        unionId: 'uUnion_demo_second',
        nickname: 'Second account (no phone)',
        icon: `${origin}/avatar.svg`,
        phone: '',
        email: 'second@example.com',
      },
    ],
  });
  const config = { clientId: fake.app.clientId, clientSecret: fake.app.clientSecret, scope: '1' };
  const connector = await createXiaomiConnector({ endpoints: fake.endpoints })({
    getConfig: async () => config,
  });
  const logto = new LogtoPart(connector, fake, redirectUri, config);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname === '/') {
      send(response, 200, homePage(fake.origin));
    } else if (['/logo.svg', '/favicon.ico', '/avatar.svg'].includes(url.pathname)) {
      // Browsers ask for /favicon.ico on their own; the logo answers it, as an SVG.
      const svg = url.pathname === '/avatar.svg' ? avatarSvg : await readFile(logoPath, 'utf8');
      send(response, 200, svg, { 'content-type': 'image/svg+xml' });
    } else if (url.pathname === '/sign-in') {
      const scope = ['1', ...url.searchParams.getAll('scope')].join(' ');
      const { sessionId, authorizationUri } = await logto.start(scope);
      send(response, 302, '', {
        location: authorizationUri,
        'set-cookie': `${sessionCookie}=${sessionId}; Path=/; HttpOnly; SameSite=Lax`,
      });
    } else if (url.pathname === `/callback/${connectorId}`) {
      const result = await logto.finish(
        readCookie(request, sessionCookie),
        Object.fromEntries(url.searchParams),
      );
      send(response, result ? 200 : 400, result ? resultPage(result) : expiredPage());
    } else {
      send(response, 404, 'Not found', { 'content-type': 'text/plain' });
    }
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      console.error(error);
      send(response, 500, 'The demo failed; see the terminal.', { 'content-type': 'text/plain' });
    });
  });

  return {
    url: `${origin}/`,
    xiaomiOrigin: fake.origin,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await fake.close();
    },
  };
};

const defaultPort = 3000;

/** PORT as the admin typed it: a whole number from 0 to 65535, or the reason it is not one. */
export const parsePort = (value: string): number | string => {
  const port = Number(value);
  return /^\d+$/.test(value.trim()) && port <= 65535
    ? port
    : `PORT=${value} is not a port number (0 to 65535; 0 picks a free one).`;
};

const isAddressInUse = (error: unknown) => (error as { code?: unknown }).code === 'EADDRINUSE';

/** One line for the terminal and a non-zero exit: the demo cannot do what was asked. */
const fail = (message: string): never => {
  console.error(`connector-xiaomi demo: ${message}`);
  process.exit(1);
};

const runFromCommandLine = async () => {
  const asked = process.env.PORT;
  let demo: Demo;
  if (asked === undefined) {
    demo = await startDemo({ port: defaultPort }).catch(async (error: unknown) => {
      if (!isAddressInUse(error)) {
        throw error;
      }
      console.log(`Port ${defaultPort} is taken; using a free one (set PORT to choose).`);
      return startDemo({ port: 0 });
    });
  } else {
    const port = parsePort(asked);
    if (typeof port === 'string') {
      return fail(port);
    }
    // A port that was asked for is never swapped for another: the admin would open the wrong page.
    demo = await startDemo({ port }).catch((error: unknown) =>
      isAddressInUse(error)
        ? fail(`port ${port} (PORT) is taken; stop what uses it or set another PORT.`)
        : Promise.reject(error),
    );
  }
  console.log(`connector-xiaomi demo: open ${demo.url}`);
  console.log(`(fake Xiaomi at ${demo.xiaomiOrigin}; no network, no account; Ctrl+C to stop)`);
  // Ctrl+C, `kill` and service managers alike: both servers close before the process ends.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void demo.close().then(() => process.exit(0));
    });
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromCommandLine();
}
