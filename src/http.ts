import type { Agent, IncomingMessage, request as httpRequestFunction } from 'node:http';

import { toConnectorError, type Step } from './errors.ts';

export type HttpResponse = { status: number; body: string };

type Transport = { request: typeof httpRequestFunction; agent: Agent };

/**
 * Node's own HTTP client, one keep-alive agent per protocol for the whole process: a sign-in makes
 * two to four calls to the same two Xiaomi hosts. Not got: per request, got's options merging,
 * hooks and stream layers cost more CPU than the whole rest of a sign-in, and kept this connector
 * above half the official connector's CPU per sign-in (docs/benchmarks.md).
 * Loaded at the first sign-in: Logto imports every installed connector when it boots, and most
 * never sign anyone in.
 */
let transports: Promise<{ http: Transport; https: Transport }> | undefined;

const loadTransports = async () =>
  (transports ??= Promise.all([import('node:http'), import('node:https')]).then(
    ([http, https]) => ({
      http: { request: http.request, agent: new http.Agent({ keepAlive: true }) },
      https: { request: https.request, agent: new https.Agent({ keepAlive: true }) },
    }),
  ));

/** A sign-in's time budget: every call, and every retry, must fit in what is left of it. */
export class Deadline {
  private readonly end: number;

  constructor(timeoutMs: number) {
    this.end = Date.now() + timeoutMs;
  }

  remaining(): number {
    return this.end - Date.now();
  }
}

type Request = {
  step: Step;
  deadline: Deadline;
  method: 'GET' | 'POST';
  url: string;
  searchParams?: URLSearchParams;
  form?: URLSearchParams;
  /** Called for every attempt: a MAC signature needs a fresh nonce each time. */
  headers?: () => Record<string, string>;
  /** Only idempotent calls: a second try of the token exchange would burn the single-use code. */
  retryOnce?: boolean;
};

const transient = (status: number) => status >= 500;

/** Xiaomi's answers are a few hundred bytes; a broken proxy must not fill the server's memory. */
const maxBodyLength = 64 * 1024;

/** A code, never a message: Node's messages may carry the URL, and Open API URLs carry the token. */
class TransportError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * One exchange, settled once: by the whole body, by an error of the request or the response (a
 * reset mid-body included), or by the time budget running out, whichever comes first.
 */
const exchange = (
  transport: Transport,
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<HttpResponse> =>
  new Promise((resolve, reject) => {
    const request = transport.request(url, { method, headers, agent: transport.agent });
    const timer = setTimeout(() => {
      reject(new TransportError('ETIMEDOUT'));
      request.destroy();
    }, timeoutMs);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(error);
    };
    request.on('error', fail);
    request.on('response', (response: IncomingMessage) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > maxBodyLength) {
          fail(new TransportError('answer too large'));
          request.destroy();
        }
      });
      response.on('error', fail);
      response.on('close', () => {
        if (!response.complete) fail(new TransportError('ECONNRESET'));
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, body: text });
      });
    });
    request.end(body);
  });

const send = async (request: Request): Promise<HttpResponse> => {
  const { http, https } = await loadTransports();
  const remaining = request.deadline.remaining();
  if (remaining <= 0) {
    throw toConnectorError({ kind: 'network', step: request.step, reason: 'timed out' });
  }
  const url = request.searchParams ? `${request.url}?${request.searchParams}` : request.url;
  const body = request.form?.toString();
  const headers: Record<string, string> = {
    'user-agent': 'connector-xiaomi',
    ...(body === undefined
      ? {}
      : {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
        }),
    ...request.headers?.(),
  };
  try {
    return await exchange(
      url.startsWith('https:') ? https : http,
      url,
      request.method,
      headers,
      body,
      remaining,
    );
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    const reason = code === 'ETIMEDOUT' ? 'timed out' : typeof code === 'string' ? code : 'failed';
    throw toConnectorError({ kind: 'network', step: request.step, reason });
  }
};

/** One retry at most, and only while the budget lasts: after a network error or a 5xx answer. */
export const httpRequest = async (request: Request): Promise<HttpResponse> => {
  if (!request.retryOnce) {
    return send(request);
  }
  let response: HttpResponse;
  try {
    response = await send(request);
  } catch (error: unknown) {
    if (request.deadline.remaining() > 0) {
      return send(request);
    }
    throw error;
  }
  return transient(response.status) && request.deadline.remaining() > 0 ? send(request) : response;
};
