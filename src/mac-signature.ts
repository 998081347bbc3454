import { createHmac, randomBytes } from 'node:crypto';

/**
 * Xiaomi's access tokens are MAC tokens; some Open APIs only answer requests signed with the
 * token's `mac_key` (Xiaomi's mac-signature-verification page):
 * text = nonce, METHOD, host, path and the sorted non-empty query, each line ending in `\n`;
 * mac = Base64(HMAC-SHA1(mac_key, text)).
 */
export type SignedRequest = {
  method: 'GET' | 'POST';
  /** `URL.host`: no scheme; the port only when it is not the default. */
  host: string;
  path: string;
  query: URLSearchParams;
};

/** `<random 64-bit integer>:<Unix time in minutes>`; a fresh one for every request, retries too. */
export const createNonce = (nowMs: number): string =>
  `${randomBytes(8).readBigInt64BE()}:${Math.floor(nowMs / 60_000)}`;

const sortedQuery = (query: URLSearchParams): string =>
  [...query]
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');

export const macText = (nonce: string, request: SignedRequest): string =>
  `${nonce}\n${request.method}\n${request.host}\n${request.path}\n${sortedQuery(request.query)}\n`;

export const macAuthorization = (
  accessToken: string,
  macKey: string,
  request: SignedRequest,
  nonce: string = createNonce(Date.now()),
): string => {
  const mac = createHmac('sha1', macKey).update(macText(nonce, request)).digest('base64');
  return `MAC access_token="${accessToken}", nonce="${nonce}", mac="${mac}"`;
};
