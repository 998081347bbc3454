/**
 * The built connector in a process of its own, for what only a process's start decides: the Node
 * version and the environment (NODE_USE_ENV_PROXY, HTTP(S)_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS).
 * Driven by test/sockets/proxy.test.ts:
 *   node --import tsx test/sockets/connector-process.ts '<Job as JSON>'
 * It plays Logto's sign-in page through the host model, with codes the test obtained on the fake's
 * consent page, and prints one JSON line: what each step gave.
 */
import { ConnectorError } from '@logto/connector-kit';

import { loadBuiltConnector } from './built-connector.ts';
import { LogtoHost } from '../../fakes/logto-host/logto-host.ts';

export type Job = {
  endpoints: { authorize: string; token: string; openApi: string };
  config: Record<string, unknown>;
  origin: string;
  connectorId: string;
  /** Sign-ins with these codes, one after the other; with token storage on if `keepTokens`. */
  codes: string[];
  keepTokens?: boolean;
  /** Refreshes with these refresh tokens, after the sign-ins. */
  refreshTokens?: string[];
  /** A URL fetched with Node's own fetch at the end, to compare with what Node itself does. */
  fetch?: string;
};

/** What a step gave. No test reads `error`: a failing test's diff shows it. */
export type StepResult = { ok: boolean; id?: string; refreshToken?: string; error?: string };

const settle = async (run: () => Promise<Omit<StepResult, 'ok'>>): Promise<StepResult> =>
  run().then(
    (result) => ({ ok: true, ...result }),
    (error: unknown) => ({
      ok: false,
      error:
        error instanceof ConnectorError
          ? `${error.code} ${JSON.stringify(error.data)}`
          : String(error),
    }),
  );

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const { createXiaomiConnector } = await loadBuiltConnector();
const connector = await createXiaomiConnector({ endpoints: job.endpoints })({
  getConfig: async () => job.config,
});
const logto = new LogtoHost(connector, { origin: job.origin, connectorId: job.connectorId });

const signIns: StepResult[] = [];
for (const code of job.codes) {
  signIns.push(
    await settle(async () => {
      const attempt = await logto.start('sign-in page');
      const query = { code, state: attempt.state };
      if (!job.keepTokens) {
        return { id: (await logto.finish(attempt, query)).id };
      }
      const { tokenResponse, userInfo } = await logto.finishKeepingTokens(attempt, query);
      return { id: userInfo.id, refreshToken: tokenResponse?.refresh_token };
    }),
  );
}
const refreshes: StepResult[] = [];
for (const refreshToken of job.refreshTokens ?? []) {
  refreshes.push(
    await settle(async () => ({
      refreshToken: (await connector.getAccessTokenByRefreshToken!(refreshToken)).refresh_token,
    })),
  );
}
const fetched = job.fetch === undefined ? undefined : (await fetch(job.fetch)).status;

process.stdout.write(`${JSON.stringify({ node: process.version, signIns, refreshes, fetched })}\n`);
// Keep-alive connections would keep the process alive.
process.exit(0);
