import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { XiaomiCode, XiaomiRefusal } from './xiaomi-codes.ts';

// Written from Xiaomi's description, apart from the connector's own signing (src/user-info.ts) on
// purpose: a fake that shared the connector's code would accept whatever mistake that code made.

/** The parts of an Open API request a MAC signature covers (xiaomi-api.md, section 4). */
export interface SignedRequest {
  method: string;
  /** host[:port], as in the request's Host header and `URL.host` */
  host: string;
  path: string;
  query: URLSearchParams;
}

// A nonce older or newer than this, by Xiaomi's clock, is refused.
const nonceWindowMinutes = 5;

const sortedQuery = (query: URLSearchParams): string =>
  [...query]
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');

const macText = (nonce: string, request: SignedRequest): string =>
  [nonce, request.method.toUpperCase(), request.host, request.path, sortedQuery(request.query)]
    .map((line) => `${line}\n`)
    .join('');

const computeMac = (macKey: string, nonce: string, request: SignedRequest): string =>
  createHmac('sha1', macKey).update(macText(nonce, request)).digest('base64');

const createNonce = (nowMs: number): string =>
  `${randomBytes(8).readBigInt64BE()}:${Math.floor(nowMs / 60_000)}`;

/** The Authorization header a MAC-signing client sends; the fake's tests sign with it. */
export const macAuthorization = (
  accessToken: string,
  macKey: string,
  request: SignedRequest,
  nonce = createNonce(Date.now()),
): string =>
  `MAC access_token="${accessToken}", nonce="${nonce}", mac="${computeMac(macKey, nonce, request)}"`;

const parseMacHeader = (header: string): Record<string, string> | undefined =>
  header.startsWith('MAC ')
    ? Object.fromEntries(
        [...header.slice(4).matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]),
      )
    : undefined;

const refuse = (description: string) => new XiaomiRefusal(XiaomiCode.accessDenied, description);

/** Checks the signature of a request for an app that requires MAC; a failure is 96012. */
export class MacVerifier {
  private readonly seenNonces = new Set<string>();

  constructor(private readonly now: () => number) {}

  verify(
    header: string | undefined,
    accessToken: string,
    macKey: string,
    request: SignedRequest,
  ): void {
    const fields = parseMacHeader(header ?? '');
    if (!fields?.['nonce'] || !fields['mac']) {
      throw refuse('MAC signature is missing');
    }
    if (fields['access_token'] !== accessToken) {
      throw refuse('MAC access_token does not match the token parameter');
    }
    const nonce = fields['nonce'];
    const minutes = Number(/^-?\d+:(\d+)$/.exec(nonce)?.[1] ?? Number.NaN);
    if (
      !Number.isInteger(minutes) ||
      Math.abs(minutes - this.now() / 60_000) > nonceWindowMinutes
    ) {
      throw refuse('MAC nonce is malformed or stale');
    }
    if (this.seenNonces.has(nonce)) {
      throw refuse('MAC nonce was already used');
    }
    const expected = Buffer.from(computeMac(macKey, nonce, request));
    const given = Buffer.from(fields['mac']);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw refuse('MAC signature does not match');
    }
    this.seenNonces.add(nonce);
  }
}
