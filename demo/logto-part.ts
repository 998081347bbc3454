import { randomBytes } from 'node:crypto';

import type { ConnectorSession, SocialUserInfo } from '@logto/connector-kit';
import { ConnectorError } from '@logto/connector-kit';

import type { Connector } from '../test/fake-xiaomi/logto-host.ts';
import type { FakeXiaomi, RequestLogEntry } from '../test/fake-xiaomi/index.ts';

export const connectorId = 'xiaomi-demo';

interface PendingSignIn {
  authorizationUri: string;
  session: ConnectorSession;
  /** Where this sign-in's calls start in the fake's request log. */
  logStart: number;
}

export interface SignInResult {
  authorizationUri: string;
  calls: RequestLogEntry[];
  outcome: { userInfo: SocialUserInfo } | { error: { code: string; data: unknown } };
}

/**
 * What Logto does around a social connector: step 1 keeps the connector's session under a
 * cookie, step 2 posts the callback query with `redirectUri` and reads the session back.
 */
export class LogtoPart {
  private readonly pending = new Map<string, PendingSignIn>();

  constructor(
    private readonly connector: Connector,
    private readonly fake: FakeXiaomi,
    private readonly redirectUri: string,
  ) {}

  async start(scope: string | undefined): Promise<{ sessionId: string; authorizationUri: string }> {
    const sessionId = randomBytes(12).toString('base64url');
    const session: ConnectorSession = {};
    const logStart = this.fake.requestLog.length;
    const authorizationUri = await this.connector.getAuthorizationUri(
      {
        state: randomBytes(12).toString('base64url'),
        redirectUri: this.redirectUri,
        connectorId,
        connectorFactoryId: 'xiaomi',
        jti: sessionId,
        headers: {},
        ...(scope ? { scope } : {}),
      },
      async (storage) => {
        Object.assign(session, storage);
      },
    );
    this.pending.set(sessionId, { authorizationUri, session, logStart });
    return { sessionId, authorizationUri };
  }

  async finish(
    sessionId: string | undefined,
    query: Record<string, string>,
  ): Promise<SignInResult | undefined> {
    const pending = sessionId ? this.pending.get(sessionId) : undefined;
    if (!pending || !sessionId) {
      return undefined;
    }
    this.pending.delete(sessionId);
    let outcome: SignInResult['outcome'];
    try {
      const userInfo = await this.connector.getUserInfo(
        { ...query, redirectUri: this.redirectUri },
        async () => pending.session,
      );
      outcome = { userInfo };
    } catch (error: unknown) {
      // Logto answers the sign-in page with the error's code and data; so does the demo.
      outcome =
        error instanceof ConnectorError
          ? { error: { code: error.code, data: error.data } }
          : { error: { code: 'not a ConnectorError', data: String(error) } };
    }
    return {
      authorizationUri: pending.authorizationUri,
      // The browser's own requests (a favicon) are not Xiaomi calls.
      calls: this.fake.requestLog
        .slice(pending.logStart)
        .filter((call) => call.target !== 'unknown'),
      outcome,
    };
  }
}
