// Xiaomi's public scope table. Ids outside it make the authorize request fail with 96007.
export const scopeLabels: ReadonlyMap<number, string> = new Map([
  [1, 'Your Xiaomi profile (nickname, avatar)'],
  [2, 'Your MiChat friend list'],
  [3, 'Your Xiaomi account id for this app (openId)'],
  [4, 'Your phone number'],
  [6, 'Your email address'],
  [1000, 'Xiaomi router'],
  [1001, 'Xiaomi router (manage)'],
  [2000, 'Mi Cloud'],
  [2001, 'Mi Cloud contacts'],
  [2002, 'Mi Cloud messages'],
  [6000, 'Mi Home'],
  [6002, 'Mi Home devices'],
  [6003, 'Mi Home scenes'],
  [6004, 'Mi Home control'],
  [7000, 'Health'],
  [11000, 'Wallet'],
  [12001, 'XiaoAI'],
  [12005, 'XiaoAI skills'],
  [13002, 'XiaoAI devices'],
  [16000, 'Xiaomi services'],
  [20000, 'Xiaomi services (extended)'],
  [40000, 'Xiaomi services (partner)'],
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
