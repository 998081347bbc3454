import { describe, expect, it } from 'vitest';

import { Secrets } from '../../src/operation.ts';
import { toSocialUserInfo, wellFormedEmail, wellFormedPhone } from '../../src/user-info.ts';

const all = new Set(['1', '3', '4', '6']);
/** Xiaomi's answers mapped for `granted` scopes, by an operation that has learnt no secret yet. */
const map = (answers: Parameters<typeof toSocialUserInfo>[0], granted = all) =>
  toSocialUserInfo(answers, granted, new Secrets());

describe('mapping to Logto’s social user info', () => {
  it('uses the unionId as the id, like Logto’s own Xiaomi connector', () => {
    expect(map({ profile: { unionId: 'u' } })).toEqual({
      id: 'u',
      rawData: { unionId: 'u' },
    });
  });

  it.each([
    [
      'picks the largest avatar Xiaomi offers',
      {
        miliaoIcon: 'https://x/icon.jpg',
        miliaoIcon_90: 'https://x/90.jpg',
        miliaoIcon_320: 'https://x/320.jpg',
      },
      'https://x/320.jpg',
    ],
    [
      'ignores avatars that are not URLs',
      { miliaoIcon_orig: 'https://[::1', miliaoIcon: 'https://x/i' },
      'https://x/i',
    ],
    [
      'ignores avatars that are not http(s) URLs',
      { miliaoIcon_orig: 'javascript:alert(1)', miliaoIcon: 'https://x/i' },
      'https://x/i',
    ],
  ])('%s', (_, icons, avatar) => {
    expect(map({ profile: { unionId: 'u', ...icons } }).avatar).toBe(avatar);
  });

  it('passes email and phone only for the scopes granted', () => {
    const phoneAndEmail = { phone: '13812345678', email: 'a@example.com' };
    const user = map({ profile: { unionId: 'u' }, phoneAndEmail }, new Set(['1', '6']));
    expect(user.email).toBe('a@example.com');
    expect(user.phone).toBeUndefined();
  });

  it('keeps the openId in rawData and no token anywhere', () => {
    const user = map({ profile: { unionId: 'u' }, openId: { openid: 'o' } });
    expect(user.rawData).toEqual({ unionId: 'u', openId: 'o' });
  });

  it('keeps only the profile fields this connector knows in rawData, each a string', () => {
    const profile = {
      unionId: 'u',
      miliaoNick: 'Lei',
      miliaoIcon: 'https://x/i.jpg',
      miliaoIcon_75: 'https://x/75.jpg',
      userId: '42',
      token: 'leaked',
      nested: { deep: [1, 2, 3] },
      miliaoIcon_90: { url: 'https://x/90.jpg' },
    };
    expect(map({ profile }).rawData).toEqual({
      unionId: 'u',
      miliaoNick: 'Lei',
      miliaoIcon: 'https://x/i.jpg',
      miliaoIcon_75: 'https://x/75.jpg',
      userId: '42',
    });
  });

  it.each([
    ['a number', 42],
    ['an object', { id: 'u' }],
    ['an empty string', ''],
    ['text with spaces', 'u u'],
    ['text over 256 characters', 'u'.repeat(257)],
  ])('refuses a unionId that is %s: Logto keys the account on it', (_, unionId) => {
    expect(() => map({ profile: { unionId } })).toThrow(
      expect.objectContaining({
        failure: expect.objectContaining({ reason: expect.stringContaining('unionId') }),
      }),
    );
  });

  it.each([
    ['that is empty', '  '],
    ['over 128 characters', 'n'.repeat(129)],
    ['with a right-to-left override', 'Lei\u202eieL'],
    ['with a zero-width space', 'Le\u200bi'],
    ['with a control character', 'Lei\u0000'],
    ['not text', 42],
  ])('leaves out a nickname %s', (_, miliaoNick) => {
    const user = map({ profile: { unionId: 'u', miliaoNick } });
    expect(user.name).toBeUndefined();
    expect(user.rawData).toEqual({ unionId: 'u' });
  });

  it('keeps a bare 11-digit phone number in rawData as Xiaomi wrote it, and out of phone', () => {
    const user = map({ profile: { unionId: 'u' }, phoneAndEmail: { phone: '14155552671' } });
    expect(user.phone).toBeUndefined();
    expect(user.rawData).toEqual({ unionId: 'u', phone: '14155552671' });
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
    ['a••••@mi.com', undefined],
    ['a…@mi.com', undefined],
    ['a＊＊＊@mi.com', undefined],
    ['a\u200b@mi.com', undefined],
    ['a\u0000b@mi.com', undefined],
    ['a\u202eb@mi.com', undefined],
    ['victim@example.com,x', undefined],
    ['victim@example.com,attacker@example.com', undefined],
    ['"q"@x.com', undefined],
    ['a@b@example.com', undefined],
    ['a..b@example.com', undefined],
    ['a@-example.com', undefined],
    ['a@example.123', undefined],
    ['a@exämple.com', undefined],
  ])('passes email %j to Logto only as %j: one real, unmasked address', (input, expected) => {
    expect(wellFormedEmail(input)).toBe(expected);
    // Nor does a refused one reach Logto another way.
    const user = map({ profile: { unionId: 'u' }, phoneAndEmail: { email: input } });
    expect(user.email).toBe(expected);
    expect(user.rawData).toEqual({ unionId: 'u' });
  });

  it.each([
    ['+86 138-1234-5678', '8613812345678'],
    ['8613812345678', '8613812345678'],
    ['008613812345678', '8613812345678'],
    ['+44 20 7946 0958', '442079460958'],
    ['+1 415 555 2671', '14155552671'],
    ['0044 20 7946 0958', '442079460958'],
    ['86 10 1234 5678', undefined],
    ['+1 234', undefined],
    // A bare 1xxxxxxxxxx may be Chinese or North American: no country is guessed.
    ['13812345678', undefined],
    ['138 1234 5678', undefined],
    ['14155552671', undefined],
    ['+86 1234 5678', undefined],
    ['138****5678', undefined],
    ['12345', undefined],
    ['02079460958', undefined],
    ['+８６13812345678', undefined],
    ['', undefined],
    [null, undefined],
  ])('passes phone %j to Logto only as %j, never with a guessed country', (input, expected) => {
    expect(wellFormedPhone(input)).toBe(expected);
  });
});
