import type { ConnectorConfig } from './config.ts';
import { ConnectorFailure } from './errors.ts';
import { httpRequest, type Deadline } from './http.ts';
import { decodeTokenResponse, type XiaomiToken } from './xiaomi-response.ts';

type Grant =
  | { grantType: 'authorization_code'; code: string }
  | { grantType: 'refresh_token'; refreshToken: string };

/**
 * POST with a form body, as Logto's own Xiaomi connector does in production: Xiaomi's docs show GET,
 * but a POST keeps the client secret out of URLs and proxy logs.
 * Never retried: a code works once, and so does a refresh token.
 */
const requestToken = async (
  tokenEndpoint: string,
  config: ConnectorConfig,
  redirectUri: string,
  grant: Grant,
  deadline: Deadline,
): Promise<XiaomiToken> => {
  const [step, grantField, grantValue] =
    grant.grantType === 'authorization_code'
      ? (['token', 'code', grant.code] as const)
      : (['refresh', 'refresh_token', grant.refreshToken] as const);
  const form = new URLSearchParams();
  form.set('client_id', config.clientId);
  form.set('client_secret', config.clientSecret);
  form.set('redirect_uri', redirectUri);
  form.set('grant_type', grant.grantType);
  form.set(grantField, grantValue);

  const response = await httpRequest({ step, deadline, method: 'POST', url: tokenEndpoint, form });
  const decoded = decodeTokenResponse(step, response);
  if (!decoded.ok) {
    throw new ConnectorFailure(decoded.failure);
  }
  return decoded.value;
};

/** Step 3: the authorization code for tokens. */
export const exchangeCode = async (
  tokenEndpoint: string,
  config: ConnectorConfig,
  { code, redirectUri }: { code: string; redirectUri: string },
  deadline: Deadline,
): Promise<XiaomiToken> =>
  requestToken(
    tokenEndpoint,
    config,
    redirectUri,
    { grantType: 'authorization_code', code },
    deadline,
  );

/** Token storage: a single-use refresh token for a new access token and a new refresh token. */
export const refreshToken = async (
  tokenEndpoint: string,
  config: ConnectorConfig,
  { refreshToken, redirectUri }: { refreshToken: string; redirectUri: string },
  deadline: Deadline,
): Promise<XiaomiToken> =>
  requestToken(
    tokenEndpoint,
    config,
    redirectUri,
    { grantType: 'refresh_token', refreshToken },
    deadline,
  );
