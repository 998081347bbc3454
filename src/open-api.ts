import { createHmac, randomBytes } from 'node:crypto';

import { callXiaomi, timeLimit, type Budget } from './budget.ts';
import { emailScope, openIdScope, phoneScope } from './config.ts';
import { openApiPaths } from './endpoints.ts';
import { ConnectorFailure } from './errors.ts';
import { decodeOpenApiResponse } from './xiaomi-response.ts';

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

type JsonObject = Record<string, unknown>;

export type OpenApiContext = {
  openApiOrigin: string;
  clientId: string;
  accessToken: string;
  /** Set when the admin turned on MAC signing: the token's `mac_key`. */
  macKey?: string;
};

/** The user data Xiaomi's Open API returned; `undefined` where a call was not made or failed. */
export type XiaomiUser = {
  profile: JsonObject;
  openId?: JsonObject;
  phoneAndEmail?: JsonObject;
};

/** Open API calls take camelCase `clientId` and `token`, unlike the OAuth endpoints. */
const callOpenApi = async (
  step: keyof typeof openApiPaths,
  context: OpenApiContext,
  budget: Budget,
): Promise<JsonObject> => {
  const searchParams = new URLSearchParams();
  searchParams.set('clientId', context.clientId);
  searchParams.set('token', context.accessToken);
  const { macKey } = context;
  const signed = { method: 'GET', path: openApiPaths[step], query: searchParams } as const;
  const decoded = await callXiaomi(
    step,
    {
      method: 'GET',
      url: `${context.openApiOrigin}${openApiPaths[step]}?${searchParams}`,
      ...(macKey !== undefined && {
        headers: () => ({
          authorization: macAuthorization(context.accessToken, macKey, {
            ...signed,
            host: new URL(context.openApiOrigin).host,
          }),
        }),
      }),
    },
    decodeOpenApiResponse,
    budget,
  );
  if (!decoded.ok) {
    throw new ConnectorFailure(decoded.failure);
  }
  return decoded.value;
};

/** Many apps are never granted phone and email, so these calls must not fail a sign-in. */
const optional = async (call: Promise<JsonObject>): Promise<JsonObject | undefined> => {
  try {
    return await call;
  } catch {
    return undefined;
  }
};

/**
 * Once the profile has answered, the optional calls have this share of the sign-in's time left to
 * finish (0.5 s of the 10 s); then they are dropped, and the sign-in goes on without their data.
 */
const graceShare = 0.05;

/**
 * Step 4: the Open API calls the granted scopes allow, all at once, so a full profile costs one
 * round trip after the token, not three.
 */
export const fetchXiaomiUser = async (
  context: OpenApiContext,
  granted: ReadonlySet<string>,
  budget: Budget,
): Promise<XiaomiUser> => {
  const wantsOpenId = granted.has(openIdScope);
  const wantsPhoneAndEmail = granted.has(phoneScope) || granted.has(emailScope);
  if (!wantsOpenId && !wantsPhoneAndEmail) {
    return { profile: await callOpenApi('profile', context, budget) };
  }
  const optionalCalls = timeLimit(budget.ms, budget.signal);
  const optionalBudget = { signal: optionalCalls.signal, ms: budget.ms };
  const openId = wantsOpenId ? optional(callOpenApi('openId', context, optionalBudget)) : undefined;
  const phoneAndEmail = wantsPhoneAndEmail
    ? optional(callOpenApi('phoneAndEmail', context, optionalBudget))
    : undefined;
  let profile: JsonObject;
  try {
    profile = await callOpenApi('profile', context, budget);
  } catch (error: unknown) {
    optionalCalls.abort();
    throw error;
  }
  optionalCalls.restart(budget.ms * graceShare);
  try {
    return { profile, openId: await openId, phoneAndEmail: await phoneAndEmail };
  } finally {
    optionalCalls.clear();
  }
};
