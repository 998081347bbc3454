/**
 * Step 5: Xiaomi's answers as Logto's social user info, every value checked for its shape before
 * Logto stores it: Logto links accounts by email and phone, and keeps what it gets in its audit
 * log and on the user.
 */
import type { SocialUserInfo } from '@logto/connector-kit';

import { emailScope, phoneScope } from './config.ts';
import { ConnectorFailure } from './errors.ts';
import type { Secrets } from './operation.ts';
import type { XiaomiUser } from './xiaomi.ts';

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
  secrets: Pick<Secrets, 'holds'>,
): SocialUserInfo => {
  // A value that echoes the secret, the code or a token is not the user's data, and Logto keeps
  // what it gets in its audit log and on the user.
  const own = (value: string | undefined) =>
    value !== undefined && !secrets.holds(value) ? value : undefined;
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
