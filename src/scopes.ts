/**
 * Xiaomi scopes are numeric ids. `1` (user/profile) carries the unionId, the only identity this
 * connector (and Logto's own Xiaomi connector) uses, so it is always requested.
 */
export const profileScope = '1';
export const openIdScope = '3';
export const phoneScope = '4';
export const emailScope = '6';

const scopeListPattern = /^\s*\d+(?:\s+\d+)*\s*$/;

export const isScopeList = (value: string): boolean =>
  value.trim() === '' || scopeListPattern.test(value);

/** Splits a space-separated scope list, drops duplicates and puts scope 1 first. */
export const requestedScopes = (scope: string | undefined): string[] => {
  const ids = (scope ?? '').split(/\s+/).filter((id) => /^\d+$/.test(id));
  return [...new Set([profileScope, ...ids])];
};

/**
 * What Xiaomi granted: the token response's `scope` when it sends one (the user or Xiaomi may
 * narrow the request), otherwise what was asked for.
 */
export const grantedScopes = (granted: string | undefined, requested: string[]): Set<string> => {
  const ids = granted?.split(/[\s,]+/).filter((id) => /^\d+$/.test(id)) ?? [];
  return new Set(ids.length > 0 ? ids : requested);
};
