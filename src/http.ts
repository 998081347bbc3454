import type { Got } from 'got';

import { toConnectorError, type Step } from './errors.ts';

export type HttpResponse = { status: number; body: string };

/**
 * One got instance for the whole process, imported at the first sign-in rather than at start-up:
 * Logto imports every installed connector when it boots, and most never sign anyone in.
 * Keep-alive matters: a sign-in makes two to four calls to the same two Xiaomi hosts.
 */
let client: Promise<Got> | undefined;

const httpClient = async (): Promise<Got> =>
  (client ??= Promise.all([import('got'), import('node:http'), import('node:https')]).then(
    ([{ got }, http, https]) =>
      got.extend({
        agent: {
          http: new http.Agent({ keepAlive: true }),
          https: new https.Agent({ keepAlive: true }),
        },
        // Retries are decided below, per call: the token exchange must never be repeated.
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        responseType: 'text',
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

const send = async (request: Request): Promise<HttpResponse> => {
  const got = await httpClient();
  const remaining = request.deadline.remaining();
  if (remaining <= 0) {
    throw toConnectorError({ kind: 'network', step: request.step, reason: 'timed out' });
  }
  try {
    const response = await got(request.url, {
      method: request.method,
      searchParams: request.searchParams,
      body: request.form?.toString(),
      headers: {
        ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...request.headers?.(),
      },
      timeout: { request: remaining },
    });
    return { status: response.statusCode, body: response.body };
  } catch (error: unknown) {
    // Only the error code: got's message may carry the URL, and Open API URLs carry the token.
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
