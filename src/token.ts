import { callXiaomi, type Budget } from './budget.ts';
import type { ConnectorConfig } from './config.ts';
import { ConnectorFailure } from './errors.ts';
import { decodeTokenResponse, type XiaomiToken } from './xiaomi-response.ts';

/** The code from the callback (step 3), or a stored refresh token (token storage). */
export type Grant =
  | { grantType: 'authorization_code'; code: string }
  | { grantType: 'refresh_token'; refreshToken: string };

/**
 * Step 3, and every refresh: a grant for Xiaomi's tokens. A POST with a form body, as Logto's own Xiaomi connector does in production: Xiaomi's docs show GET,
 * but a POST keeps the client secret out of URLs and proxy logs. When it is tried again:
 * src/retry.ts.
 */
export const requestToken = async (
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
