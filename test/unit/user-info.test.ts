import { describe, expect, it } from 'vitest';

import { toSocialUserInfo, wellFormedEmail, wellFormedPhone } from '../../src/user-info.ts';

const all = new Set(['1', '3', '4', '6']);

describe('mapping to Logto’s social user info', () => {
  it('uses the unionId as the id, like Logto’s own Xiaomi connector', () => {
    expect(toSocialUserInfo({ profile: { unionId: 'u' } }, all)).toEqual({
      id: 'u',
      rawData: { unionId: 'u' },
    });
  });

  it('picks the largest avatar Xiaomi offers', () => {
    const profile = {
      unionId: 'u',
      miliaoIcon: 'https://x/icon.jpg',
      miliaoIcon_90: 'https://x/90.jpg',
      miliaoIcon_320: 'https://x/320.jpg',
    };
    expect(toSocialUserInfo({ profile }, all).avatar).toBe('https://x/320.jpg');
  });

  it('ignores avatars that are not http(s) URLs', () => {
    const profile = {
      unionId: 'u',
      miliaoIcon_orig: 'javascript:alert(1)',
      miliaoIcon: 'https://x/i',
    };
    expect(toSocialUserInfo({ profile }, all).avatar).toBe('https://x/i');
  });

  it('leaves out an empty nickname', () => {
    expect(
      toSocialUserInfo({ profile: { unionId: 'u', miliaoNick: '  ' } }, all).name,
    ).toBeUndefined();
  });

  it('passes email and phone only for the scopes granted', () => {
    const phoneAndEmail = { phone: '13812345678', email: 'a@example.com' };
    const user = toSocialUserInfo(
      { profile: { unionId: 'u' }, phoneAndEmail },
      new Set(['1', '6']),
    );
    expect(user.email).toBe('a@example.com');
    expect(user.phone).toBeUndefined();
  });

  it('keeps the openId in rawData and no token anywhere', () => {
    const user = toSocialUserInfo({ profile: { unionId: 'u' }, openId: { openid: 'o' } }, all);
    expect(user.rawData).toEqual({ unionId: 'u', openId: 'o' });
  });

  it.each([
    ['a@example.com', 'a@example.com'],
    [' a.b+c@mail.example.cn ', 'a.b+c@mail.example.cn'],
    ['a***@mi.com', undefined],
    ['', undefined],
    ['not-an-email', undefined],
    ['a@localhost', undefined],
    ['a b@example.com', undefined],
    [42, undefined],
  ])('treats email %j as %j', (input, expected) => {
    expect(wellFormedEmail(input)).toBe(expected);
  });

  it.each([
    ['13812345678', '8613812345678'],
    ['138 1234 5678', '8613812345678'],
    ['+86 138-1234-5678', '8613812345678'],
    ['8613812345678', '8613812345678'],
    ['008613812345678', '8613812345678'],
    ['+44 20 7946 0958', '442079460958'],
    ['138****5678', undefined],
    ['12345', undefined],
    ['02079460958', undefined],
    ['', undefined],
    [null, undefined],
  ])('treats phone %j as %j', (input, expected) => {
    expect(wellFormedPhone(input)).toBe(expected);
  });
});
