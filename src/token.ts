import type { ConnectorConfig } from './config.ts';
import { ConnectorFailure } from './errors.ts';
import { callXiaomi } from './retry.ts';
import type { Budget } from './time-limit.ts';
import { decodeTokenResponse, type XiaomiToken } from './xiaomi-response.ts';

type Grant =
  | { grantType: 'authorization_code'; code: string }
  | { grantType: 'refresh_token'; refreshToken: string };

/**
 * POST with a form body, as Logto's own Xiaomi connector does in production: Xiaomi's docs show GET,
 * but a POST keeps the client secret out of URLs and proxy logs. When it is tried again:
 * src/retry.ts.
 */
const requestToken = async (
  tokenEndpoint: string,
  config: ConnectorConfig,
  redirectUri: string,
  grant: Grant,
  budget: Budget,
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

  const decoded = await callXiaomi(
    step,
    {
      method: 'POST',
      url: tokenEndpoint,
      form: form.toString(),
      // A refresh token works once: a failed refresh must tell whether Xiaomi read it, which a
      // reused connection cannot (http.ts).
      ownConnection: step === 'refresh',
    },
    decodeTokenResponse,
    budget,
  );
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
  budget: Budget,
): Promise<XiaomiToken> =>
  requestToken(
    tokenEndpoint,
    config,
    redirectUri,
    { grantType: 'authorization_code', code },
    budget,
  );

/** Token storage: a single-use refresh token for a new access token and a new refresh token. */
export const refreshToken = async (
  tokenEndpoint: string,
  config: ConnectorConfig,
  { refreshToken, redirectUri }: { refreshToken: string; redirectUri: string },
  budget: Budget,
): Promise<XiaomiToken> =>
  requestToken(
    tokenEndpoint,
    config,
    redirectUri,
    { grantType: 'refresh_token', refreshToken },
    budget,
  );
