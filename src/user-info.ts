import type { SocialUserInfo } from '@logto/connector-kit';

import { toConnectorError } from './errors.ts';
import type { XiaomiUser } from './open-api.ts';
import { emailScope, phoneScope } from './scopes.ts';

type Json = NonNullable<SocialUserInfo['rawData']>;

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** Largest first: Logto shows the avatar at several sizes. */
const iconKeys = [
  'miliaoIcon_orig',
  'miliaoIcon_320',
  'miliaoIcon_120',
  'miliaoIcon_90',
  'miliaoIcon_75',
  'miliaoIcon',
];

const bestAvatar = (profile: Record<string, unknown>): string | undefined =>
  iconKeys.map((key) => nonEmpty(profile[key])).find((url) => url && /^https?:\/\//i.test(url));

// Logto links accounts by email and phone, so only values that are real addresses pass: masked
// values (`138****0000`, `a***@mi.com`) and anything malformed are dropped.
const emailPattern = /^[^\s@*]+@[^\s@*.]+(?:\.[^\s@*.]+)+$/;

export const wellFormedEmail = (value: unknown): string | undefined => {
  const email = nonEmpty(value);
  return email && email.length <= 254 && emailPattern.test(email) ? email : undefined;
};

/**
 * Logto stores phone numbers as digits with the country code and no `+`. Xiaomi accounts are
 * mostly mainland Chinese numbers, which Xiaomi may send without a country code.
 */
export const wellFormedPhone = (value: unknown): string | undefined => {
  const phone = nonEmpty(value);
  if (!phone || !/^\+?[\d\s-]+$/.test(phone)) {
    return undefined;
  }
  const digits = phone.replace(/[\s-]/g, '');
  if (/^1[3-9]\d{9}$/.test(digits)) {
    return `86${digits}`;
  }
  if (/^861[3-9]\d{9}$/.test(digits)) {
    return digits;
  }
  const international = digits.replace(/^(?:\+|00)/, '');
  return digits !== international && /^[1-9]\d{6,14}$/.test(international)
    ? international
    : undefined;
};

/** Step 5: Xiaomi's answers as Logto's social user info. `id` is the unionId, like Logto's own connector. */
export const toSocialUserInfo = (
  user: XiaomiUser,
  granted: ReadonlySet<string>,
): SocialUserInfo => {
  const id = nonEmpty(user.profile.unionId);
  if (!id) {
    throw toConnectorError({
      kind: 'unexpected',
      step: 'profile',
      reason: 'the profile has no unionId',
    });
  }
  const openId = nonEmpty(user.openId?.openid) ?? nonEmpty(user.openId?.openId);
  const email = granted.has(emailScope) ? wellFormedEmail(user.phoneAndEmail?.email) : undefined;
  const phone = granted.has(phoneScope) ? wellFormedPhone(user.phoneAndEmail?.phone) : undefined;
  const name = nonEmpty(user.profile.miliaoNick);
  const avatar = bestAvatar(user.profile);

  return {
    id,
    ...(name && { name }),
    ...(avatar && { avatar }),
    ...(email && { email }),
    ...(phone && { phone }),
    rawData: { ...(user.profile as Record<string, Json>), ...(openId && { openId }) },
  };
};
