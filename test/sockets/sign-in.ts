/**
 * What the tests over sockets share: the built connector on a fake Xiaomi, a sign-in as Logto and
 * the user make it (fakes/logto-host/logto-host.ts, fakes/user/scripted-user.ts), and the check every
 * ConnectorError gets: bounded, and no secret anywhere Logto puts it.
 */
import { ConnectorError } from '@logto/connector-kit';
import { expect } from 'vitest';

import { loadBuiltConnector } from './built-connector.ts';
import {
  defaultApp,
  startFakeXiaomi,
  type FakeApp,
  type FakeXiaomiOptions,
} from '../../fakes/xiaomi/index.ts';
import { everywhere, LogtoHost, type LogtoCaller } from '../../fakes/logto-host/logto-host.ts';
import { passConsent, type ConsentChoice } from '../../fakes/user/scripted-user.ts';

/**
 * A fake Xiaomi whose one app knows Logto's sign-in callback for `connectorId` (`app` adds to it),
 * the connector as it ships (`lib/index.js`) on it, and Logto around the connector.
 */
export const startSignIns = async ({
  connectorId,
  app = {},
  getConfig,
  timeoutMs = 3000,
  ...options
}: FakeXiaomiOptions & {
  connectorId: string;
  app?: Partial<FakeApp>;
  getConfig: () => Promise<unknown>;
  timeoutMs?: number;
}) => {
  const origin = 'https://logto.example.com';
  const redirectUri = `${origin}/callback/${connectorId}`;
  const fake = await startFakeXiaomi({
    apps: [{ redirectUris: [redirectUri], ...app }],
    ...options,
  });
  const { createXiaomiConnector } = await loadBuiltConnector();
  const connector = await createXiaomiConnector({ endpoints: fake.endpoints, timeoutMs })({
    getConfig,
  });
  return { fake, connector, logto: new LogtoHost(connector, { origin, connectorId }), redirectUri };
};

export type Consent = {
  caller?: LogtoCaller;
  choice?: ConsentChoice;
  /** Passed to step 1: a fixed state. */
  state?: string;
};

/** Step 1 as `caller` makes it, then the user on Xiaomi's page: the query Xiaomi redirects with. */
export const consentTo = async (
  logto: LogtoHost,
  { caller = 'sign-in page', choice = { decision: 'allow' }, ...start }: Consent = {},
) => {
  const attempt = await logto.start(caller, start);
  const outcome = await passConsent(attempt.authorizationUri, choice);
  if (outcome.kind !== 'redirected') {
    throw new Error(`Xiaomi stopped on error page ${String(outcome.xiaomiCode)}`);
  }
  return { attempt, query: outcome.query };
};

/** A whole sign-in: step 1, Xiaomi's page, step 2 (`getUserInfo`). */
export const signIn = async (logto: LogtoHost, consent: Consent = {}) => {
  const { attempt, query } = await consentTo(logto, consent);
  return logto.finish(attempt, query);
};

/** A value as it is, and in the forms it takes in a URL and in a form body. */
export const wireForms = (value: string): string[] => [
  value,
  encodeURIComponent(value),
  new URLSearchParams({ v: value }).toString().slice(2),
];

/**
 * The rejection of `promise`, checked to be a ConnectorError with bounded data that shows neither
 * the fake's client secret nor any of `secrets`, in any wire form, anywhere Logto puts it.
 */
export const failureOf = async (
  promise: Promise<unknown>,
  secrets: readonly string[] = [],
): Promise<ConnectorError> => {
  const error = await promise.then(() => undefined).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ConnectorError);
  const connectorError = error as ConnectorError;
  const text = everywhere(connectorError);
  for (const value of [defaultApp.clientSecret, ...secrets]) {
    for (const form of wireForms(value)) {
      expect(text).not.toContain(form);
    }
  }
  // Logto copies `data` into its message, its audit log and the browser.
  expect(JSON.stringify(connectorError.data).length).toBeLessThan(2048);
  return connectorError;
};

/** The profile fields `rawData` may hold (docs/security.md), each a bounded string. */
export const knownProfileFields: ReadonlySet<string> = new Set([
  ...'unionId miliaoNick miliaoIcon miliaoIcon_orig userId openId phone'.split(' '),
  ...[75, 90, 120, 320].map((size) => `miliaoIcon_${size}`),
]);

/** A value nested `depth` objects deep, as a hostile profile may send. */
export const nested = (depth: number): unknown =>
  Array.from({ length: depth }).reduce<unknown>((value) => ({ value }), 'bottom');
