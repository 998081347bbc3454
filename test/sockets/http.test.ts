/**
 * The production transport (src/http.ts) over real loopback sockets: a whole answer, or a
 * TransportError that says only whether the server can have read the request. The same
 * transport under the built connector, with the fake's faults: real-networks.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { send, TransportError } from '../../src/http.ts';

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    const path = request.url ?? '';
    if (path === '/big') {
      response.end('x'.repeat(70 * 1024));
    } else if (path === '/cut') {
      response.writeHead(200, { 'content-length': '100' });
      response.write('half');
      setTimeout(() => request.socket.destroy(), 10);
    } else if (path === '/stall') {
      // No answer: the caller's signal ends it.
    } else {
      request.on('end', () => {
        response.writeHead(201);
        response.end(`${request.method} ${request.headers['content-type'] ?? ''}`);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const failureOf = async (promise: Promise<unknown>): Promise<TransportError> => {
  const error: unknown = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
};

const never = new AbortController().signal;

describe('the transport', () => {
  it('returns the status and the whole body, with a form sent as a form', async () => {
    await expect(
      send({ method: 'POST', url: `${origin}/ok`, form: 'a=1' }, never),
    ).resolves.toEqual({ status: 201, body: 'POST application/x-www-form-urlencoded' });
  });

  it('gives up on an answer over 64 KiB', async () => {
    const error = await failureOf(send({ method: 'GET', url: `${origin}/big` }, never));
    expect(error.code).toBe('answer too large');
  });

  it('reports an answer cut off half-way as ECONNRESET, read by the server', async () => {
    const error = await failureOf(
      send({ method: 'GET', url: `${origin}/cut`, ownConnection: true }, never),
    );
    expect([error.code, error.reached, error.stale]).toEqual(['ECONNRESET', true, false]);
  });

  it('reports a refused connection as never read by the server', async () => {
    const error = await failureOf(send({ method: 'GET', url: 'http://127.0.0.1:1/' }, never));
    expect([error.code, error.reached]).toEqual(['ECONNREFUSED', false]);
  });

  it('ends when the signal aborts, before or during the exchange', async () => {
    const aborted = AbortSignal.abort();
    const before = await failureOf(send({ method: 'GET', url: `${origin}/ok` }, aborted));
    expect([before.code, before.reached]).toEqual(['ETIMEDOUT', false]);
    const during = await failureOf(
      send({ method: 'GET', url: `${origin}/stall` }, AbortSignal.timeout(100)),
    );
    expect([during.code, during.stale]).toEqual(['ETIMEDOUT', false]);
  });
});
