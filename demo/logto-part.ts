import { randomBytes } from 'node:crypto';

import type { SocialUserInfo } from '@logto/connector-kit';
import { ConnectorError } from '@logto/connector-kit';

import type { FakeXiaomi, RequestLogEntry } from '../fakes/xiaomi/index.ts';
import {
  LogtoHost,
  LogtoPageError,
  type Connector,
  type SignInAttempt,
} from '../fakes/logto-host/logto-host.ts';

export const connectorId = 'xiaomi-demo';

interface PendingSignIn {
  attempt: SignInAttempt;
  /** Where this sign-in's calls start in the fake's request log. */
  logStart: number;
}

export interface SignInResult {
  authorizationUri: string;
  calls: RequestLogEntry[];
  outcome: { userInfo: SocialUserInfo } | { error: { code: string; data: unknown } };
}

/**
 * What Logto's sign-in page and core do around the connector, through the same host model the
 * tests use (fakes/logto-host/logto-host.ts): step 1 keeps the connector's session in the sign-in
 * interaction (here under a cookie); on the callback the page checks `state` itself and posts
 * `{ redirectUri, code }` without it, and core hands the session to the connector once.
 */
export class LogtoPart {
  private readonly pending = new Map<string, PendingSignIn>();
  private readonly host: LogtoHost;

  constructor(
    connector: Connector,
    private readonly fake: FakeXiaomi,
    redirectUri: string,
    /** The connector config, whose Scope field the demo's checkboxes stand for. */
    private readonly config: { scope?: string },
  ) {
    const url = new URL(redirectUri);
    this.host = new LogtoHost(connector, { origin: url.origin, connectorId });
  }

  async start(scope: string | undefined): Promise<{ sessionId: string; authorizationUri: string }> {
    const sessionId = randomBytes(12).toString('base64url');
    // Logto's sign-in page passes no scope: it comes from the config the admin saved.
    this.config.scope = scope ?? '1';
    const logStart = this.fake.requestLog.length;
    const attempt = await this.host.start('sign-in page', {
      state: randomBytes(12).toString('base64url'),
    });
    this.pending.set(sessionId, { attempt, logStart });
    return { sessionId, authorizationUri: attempt.authorizationUri };
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
      outcome = { userInfo: await this.host.finish(pending.attempt, query) };
    } catch (error: unknown) {
      // Logto answers the sign-in page with the error's code and data; so does the demo.
      outcome =
        error instanceof ConnectorError
          ? { error: { code: error.code, data: error.data } }
          : error instanceof LogtoPageError
            ? { error: { code: `Logto's sign-in page: ${error.phrase}`, data: {} } }
            : { error: { code: 'not a ConnectorError', data: String(error) } };
    }
    return {
      authorizationUri: pending.attempt.authorizationUri,
      // The browser's own requests (a favicon) are not Xiaomi calls.
      calls: this.fake.requestLog
        .slice(pending.logStart)
        .filter((call) => call.target !== 'unknown'),
      outcome,
    };
  }
}
