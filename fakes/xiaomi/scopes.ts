// Xiaomi's public scope table (xiaomi-api.md): the scopes of sign-in, then those of Xiaomi's other
// services (router, Mi Cloud, Mi Home, health, wallet, XiaoAI), which the fake only names by id.
// Ids outside it make the authorize request fail with 96007.
export const scopeLabels: ReadonlyMap<number, string> = new Map([
  [1, 'Your Xiaomi profile (nickname, avatar)'],
  [2, 'Your MiChat friend list'],
  [3, 'Your Xiaomi account id for this app (openId)'],
  [4, 'Your phone number'],
  [6, 'Your email address'],
  ...[
    1000, 1001, 2000, 2001, 2002, 6000, 6002, 6003, 6004, 7000, 11000, 12001, 12005, 13002, 16000,
    20000, 40000,
  ].map((id) => [id, `Xiaomi service ${id}`] as const),
]);

/** Scope ids as Xiaomi reads them: space separated decimal numbers. Undefined means malformed. */
export const parseScopeParam = (value: string): number[] | undefined => {
  const ids = value.split(' ').filter((part) => part !== '');
  if (!ids.every((id) => /^\d{1,6}$/.test(id))) {
    return undefined;
  }
  const numbers = ids.map(Number);
  return numbers.every((id) => scopeLabels.has(id)) ? [...new Set(numbers)] : undefined;
};

export const formatScopes = (scopes: readonly number[]): string => scopes.join(' ');
