import type { FakeStore } from './store.ts';
import { accessTokenLifetimeSeconds } from './store.ts';
import { formatScopes } from './scopes.ts';
import type { Quirks, Reply } from './wire.ts';
import { tokenErrorReply, tokenReply } from './wire.ts';
import { refusedAs, XiaomiCode, XiaomiRefusal } from './xiaomi-codes.ts';

export const tokenPath = '/oauth2/token';

const required = (params: URLSearchParams, name: string): string => {
  const value = params.get(name);
  if (!value) {
    throw new XiaomiRefusal(XiaomiCode.invalidRequest, `${name} is missing`);
  }
  return value;
};

// The order of checks (client 96001, secret 96003, redirect URI 96010, code 96013) is the fake's
// choice: Xiaomi documents the codes (xiaomi-api.md's table), not the order. The self-check
// (src/check.ts) reads 96013 to an impossible code as "the rest passed", likely but not certain.
const exchange = (store: FakeStore, params: URLSearchParams) => {
  const grantType = required(params, 'grant_type');
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
    throw new XiaomiRefusal(XiaomiCode.unsupportedGrantType, 'unsupported grant_type');
  }
  const app = store.findApp(params.get('client_id') ?? undefined);
  if (params.get('client_secret') !== app.clientSecret) {
    throw new XiaomiRefusal(XiaomiCode.invalidClient, 'client_id and client_secret do not match');
  }
  const redirectUri = required(params, 'redirect_uri');
  if (!app.redirectUris.includes(redirectUri)) {
    throw new XiaomiRefusal(XiaomiCode.invalidRedirectUri, 'redirect_uri is not registered');
  }
  return grantType === 'authorization_code'
    ? store.redeemCode(required(params, 'code'), app.clientId, redirectUri)
    : store.redeemRefreshToken(required(params, 'refresh_token'), app.clientId);
};

/** Both grants share one endpoint; answers and refusals alike are HTTP 200 with the prefix. */
export const handleToken = (store: FakeStore, params: URLSearchParams, quirks: Quirks): Reply =>
  refusedAs(
    () => {
      const { accessToken, refreshToken, token } = exchange(store, params);
      const user = store.users.get(token.userId);
      return tokenReply(
        {
          access_token: accessToken,
          expires_in: accessTokenLifetimeSeconds,
          refresh_token: refreshToken,
          scope: formatScopes(token.scopes),
          token_type: 'mac',
          mac_key: token.macKey,
          mac_algorithm: 'HmacSha1',
          openId: user ? store.openIdOf(user, token.clientId) : '',
          union_id: user?.unionId ?? '',
        },
        quirks,
      );
    },
    (code, description) => tokenErrorReply(code, description, quirks),
  );
