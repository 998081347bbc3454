import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { fakeTls } from './tls.ts';

/**
 * One request on its own connection: the scripted user and the fake's tests must not leave
 * keep-alive sockets behind, or the soak's socket count would measure them. Over HTTPS, the fake's
 * own certificate is trusted (tls.ts).
 */
export const plainRequest = (
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) =>
  new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const secure = url.startsWith('https:');
    const request = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers,
        agent: false,
        ...(secure && { ca: fakeTls.cert }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });

export const postForm = (url: string, form: URLSearchParams) =>
  plainRequest(url, {
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
