/**
 * Steps 4 and 5: who the user is. The Open API calls the granted scopes allow, then their answers
 * as Logto's social user info, every value checked for its shape before Logto stores it.
 */
import { createHmac, randomBytes } from 'node:crypto';

import type { SocialUserInfo } from '@logto/connector-kit';

import { emailScope, openIdScope, phoneScope } from './config.ts';
import { openApiPaths } from './constant.ts';
import { ConnectorFailure, holdsSensitive } from './errors.ts';
import { callXiaomi, decodeOpenApiResponse, timeLimit, type Budget } from './xiaomi.ts';

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
  const searchParams = new URLSearchParams({
    clientId: context.clientId,
    token: context.accessToken,
  });
  const { macKey } = context;
  const signed = { method: 'GET', path: openApiPaths[step], query: searchParams } as const;
  return callXiaomi(
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

/**
 * Identifiers (unionId, openId, userId) as Xiaomi issues them: visible ASCII, bounded. Logto
 * stores the unionId as the identity's user id, so a value of another shape is not guessed at.
 */
const identifier = (value: unknown): string | undefined =>
  typeof value === 'string' && /^[\x21-\x7e]{1,256}$/.test(value) ? value : undefined;

// Characters that hide or reorder text (bidi overrides and isolates, zero-width space, BOM) and
// control characters: a nickname carrying them could pose as another in Logto's console.
const hidingCharacters = /[\p{Cc}\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

/** Display text (the nickname): real text, on one line, without hiding characters, bounded. */
const displayText = (value: unknown): string | undefined => {
  if (typeof value !== 'string') {
    return undefined;
  }
  const text = value.trim();
  return text !== '' && Array.from(text).length <= 128 && !hidingCharacters.test(text)
    ? text
    : undefined;
};

/** An http(s) URL in visible ASCII, as Xiaomi's avatar URLs are, bounded. */
const webUrl = (value: unknown): string | undefined => {
  if (typeof value !== 'string' || !/^https?:\/\/[\x21-\x7e]{1,1016}$/i.test(value)) {
    return undefined;
  }
  return URL.canParse(value) ? value : undefined;
};

/** Largest first: Logto shows the avatar at several sizes. */
const iconKeys = [
  'miliaoIcon_orig',
  'miliaoIcon_320',
  'miliaoIcon_120',
  'miliaoIcon_90',
  'miliaoIcon_75',
  'miliaoIcon',
] as const;

const domainLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
// HTML's set of address characters, without `*`: Xiaomi masks addresses with it (`a***@mi.com`).
const localPart = /^[A-Za-z0-9!#$%&'+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'+/=?^_`{|}~-]+)*$/;

/**
 * Logto links accounts by email, so only what is certainly one real address passes: visible
 * ASCII, exactly one `@`, a dotted domain of valid labels with a letter top-level domain. Masked
 * values (`*`, `•`, `…`, full-width `＊`), quotes, lists and invisible characters all fail.
 */
export const wellFormedEmail = (value: unknown): string | undefined => {
  if (typeof value !== 'string') {
    return undefined;
  }
  const email = value.trim();
  if (email.length > 254 || !/^[\x21-\x7e]+$/.test(email)) {
    return undefined;
  }
  const [local, domain, ...rest] = email.split('@');
  if (rest.length > 0 || !local || !domain || local.length > 64 || !localPart.test(local)) {
    return undefined;
  }
  const labels = domain.split('.');
  const topLevel = domain.slice(domain.lastIndexOf('.') + 1);
  return labels.length >= 2 &&
    labels.every((label) => domainLabel.test(label)) &&
    /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/.test(topLevel)
    ? email
    : undefined;
};

/** A phone number as written: ASCII digits, an optional leading `+`, spaces and hyphens. */
const phoneShaped = (value: unknown): string | undefined => {
  if (typeof value !== 'string') {
    return undefined;
  }
  const phone = value.trim();
  return /^\+?[0-9](?:[0-9 -]{0,30}[0-9])?$/.test(phone) ? phone : undefined;
};

const mainlandMobile = /^1[3-9]\d{9}$/;

/**
 * Logto stores phone numbers as digits with the country code and no `+`, and links accounts by
 * them, so a number passes only where its country is certain: written with `+` or `00`, or with
 * `86` before a mainland mobile number. A bare `1xxxxxxxxxx` is not assumed to be Chinese: it
 * may just as well be North American (`14155552671` is +1 415 555 2671), and adding `86` would
 * make it another person's number.
 */
export const wellFormedPhone = (value: unknown): string | undefined => {
  const phone = phoneShaped(value);
  if (!phone) {
    return undefined;
  }
  const digits = phone.replace(/[ -]/g, '');
  if (digits.startsWith('+') || digits.startsWith('00')) {
    const international = digits.replace(/^(?:\+|00)/, '');
    if (international.startsWith('86')) {
      return mainlandMobile.test(international.slice(2)) ? international : undefined;
    }
    return /^[1-9]\d{6,14}$/.test(international) ? international : undefined;
  }
  return digits.startsWith('86') && mainlandMobile.test(digits.slice(2)) ? digits : undefined;
};

/**
 * Step 5: Xiaomi's answers as Logto's social user info. `id` is the unionId, like Logto's own
 * connector. `rawData` holds only the fields this connector knows, each a bounded string: Logto
 * keeps it in its audit log and on the user, and validates it recursively.
 */
export const toSocialUserInfo = (
  user: XiaomiUser,
  granted: ReadonlySet<string>,
  sensitive: readonly string[] = [],
): SocialUserInfo => {
  // A value that echoes the secret, the code or a token is not the user's data, and Logto keeps
  // what it gets in its audit log and on the user.
  const own = (value: string | undefined) =>
    value !== undefined && !holdsSensitive(value, sensitive) ? value : undefined;
  const { profile } = user;
  const id = own(identifier(profile.unionId));
  if (!id) {
    throw new ConnectorFailure({
      kind: 'unexpected',
      step: 'profile',
      reason: 'the profile has no usable unionId',
    });
  }
  const openId = own(identifier(user.openId?.openid) ?? identifier(user.openId?.openId));
  const email = granted.has(emailScope)
    ? own(wellFormedEmail(user.phoneAndEmail?.email))
    : undefined;
  const rawPhone = granted.has(phoneScope)
    ? own(phoneShaped(user.phoneAndEmail?.phone))
    : undefined;
  const phone = wellFormedPhone(rawPhone);
  const name = own(displayText(profile.miliaoNick));
  const icons = iconKeys.flatMap((key) => {
    const url = own(webUrl(profile[key]));
    return url ? [[key, url] as const] : [];
  });
  const userId = own(identifier(profile.userId));

  const rawData: Record<string, string> = {
    unionId: id,
    ...(name && { miliaoNick: name }),
    ...Object.fromEntries(icons),
    ...(userId && { userId }),
    ...(openId && { openId }),
    // As Xiaomi wrote it, where `phone` is left out because its country is not certain.
    ...(rawPhone && !phone && { phone: rawPhone }),
  };
  const avatar = icons[0]?.[1];
  return {
    id,
    ...(name && { name }),
    ...(avatar && { avatar }),
    ...(email && { email }),
    ...(phone && { phone }),
    rawData,
  };
};
