import type { ConnectorSession, SocialConnector, SocialUserInfo } from '@logto/connector-kit';

/** A connector as Logto holds it once `createConnector({ getConfig })` has run. */
export type Connector = Pick<
  SocialConnector,
  | 'getAuthorizationUri'
  | 'getUserInfo'
  | 'getTokenResponseAndUserInfo'
  | 'getAccessTokenByRefreshToken'
>;

export interface StartedSignIn {
  authorizationUri: string;
  redirectUri: string;
  /** What the connector put in Logto's interaction storage, read back in step 2. */
  session: ConnectorSession;
}

/** Step 1, as Logto's sign-in experience calls it. */
export const startSignIn = async (
  connector: Connector,
  {
    redirectUri,
    state,
    connectorId = 'xiaomi-e2e',
  }: { redirectUri: string; state: string; connectorId?: string },
): Promise<StartedSignIn> => {
  const session: ConnectorSession = {};
  const authorizationUri = await connector.getAuthorizationUri(
    {
      state,
      redirectUri,
      connectorId,
      connectorFactoryId: 'xiaomi',
      jti: `jti-${state}`,
      headers: { userAgent: 'fake-logto' },
    },
    async (storage) => {
      Object.assign(session, storage);
    },
  );
  return { authorizationUri, redirectUri, session };
};

/**
 * Step 2: the sign-in page posts every callback query parameter plus `redirectUri`. Logto's admin
 * and account APIs pass a `getSession` that throws synchronously; `withoutSession` plays that.
 */
export const finishSignIn = async (
  connector: Connector,
  started: Pick<StartedSignIn, 'redirectUri' | 'session'>,
  callbackQuery: Record<string, string>,
  { withoutSession = false }: { withoutSession?: boolean } = {},
): Promise<SocialUserInfo> =>
  connector.getUserInfo(
    { ...callbackQuery, redirectUri: started.redirectUri },
    withoutSession
      ? () => {
          throw new Error('not_implemented: getSession is unavailable here');
        }
      : async () => started.session,
  );
