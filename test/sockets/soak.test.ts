/**
 * 300 sign-ins, 32 at a time, against a fake Xiaomi that breaks a fifth of its answers to the
 * connector, half of them after Xiaomi has done its part (a code spent). Each failure is traced to
 * the broken answer that decided it and checked against the connector's own error table, so the
 * soak tests the error mapping and the retry rule (src/xiaomi.ts) too.
 */
import { inspect } from 'node:util';

import { ConnectorError, ConnectorErrorCodes } from '@logto/connector-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { meaningOf } from '../../src/xiaomi-answers.ts';
import type { FakeXiaomi, Faults, RequestLogEntry } from '../../fakes/xiaomi/index.ts';
import { faultKinds, seededRandom } from '../../fakes/xiaomi/index.ts';
import type { LogtoHost } from '../../fakes/logto-host/logto-host.ts';
import { consentTo, startSignIns } from './sign-in.ts';
import { heapUsedAfterGc, openTcpSockets, settleTo, watchOutgoingHosts } from './soak-probes.ts';

const signIns = 300;
const concurrency = 32;
const timeoutMs = 1500;
// Timers fire late on a busy machine; a sign-in may overrun its bound by this much.
const timerSlackMs = 400;
const seed = Number(process.env.SOAK_SEED ?? 20_251_201);
const brokenShare = 0.2;
const faults: Partial<Faults> = {
  latencyMs: [0, 15],
  afterShare: 0.5,
  rates: Object.fromEntries(faultKinds.map((kind) => [kind, brokenShare / faultKinds.length])),
};

type Outcome = { index: number; code: string; ms: number; error?: ConnectorError; userId?: string };

let fake: FakeXiaomi;
let logto: LogtoHost;

beforeAll(async () => {
  let config = {};
  ({ fake, logto } = await startSignIns({
    connectorId: 'xiaomi-soak',
    getConfig: async () => config,
    timeoutMs,
    random: seededRandom(seed),
    // Idle keep-alive connections close soon, so the socket count can settle after the run.
    keepAliveTimeoutMs: 300,
  }));
  config = { clientId: fake.app.clientId, clientSecret: fake.app.clientSecret, scope: '1 3 4 6' };
});

afterAll(async () => {
  await fake.close();
});

const signIn = async (index: number): Promise<Outcome> => {
  // The consent page is spared by the faults.
  const { attempt, query } = await consentTo(logto, { state: `soak-${index}` });
  const code = query['code']!;
  const begin = performance.now();
  try {
    const userInfo = await logto.finish(attempt, query);
    return { index, code, ms: performance.now() - begin, userId: userInfo.id };
  } catch (error: unknown) {
    if (!(error instanceof ConnectorError)) throw error;
    return { index, code, ms: performance.now() - begin, error };
  }
};

/** `total` sign-ins, `concurrency` at a time. */
const runSignIns = async (total: number, firstIndex: number) => {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      outcomes.push(await signIn(firstIndex + next++));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
};

/** The Logto error codes a broken answer may become, by the connector's error table. */
const allowedCodes = (entry: RequestLogEntry): string[] => {
  switch (entry.fault) {
    case 'html5xx':
      // Past the time bound, the HTML page itself is the answer.
      return [ConnectorErrorCodes.InvalidResponse, ConnectorErrorCodes.General];
    case 'garbage':
      return [ConnectorErrorCodes.InvalidResponse];
    case 'reset':
    case 'stall':
      return [ConnectorErrorCodes.General];
    case 'errorEnvelope':
      return [meaningOf(entry.target === 'token' ? 'token' : 'profile', entry.xiaomiCode!).code];
    case undefined:
      return [];
  }
};

/** The faults a second attempt may cure (src/xiaomi.ts): not Xiaomi's own verdicts. */
const retryable = (entry: RequestLogEntry | undefined): boolean =>
  entry?.fault !== undefined && entry.fault !== 'errorEnvelope';

/**
 * The calls a sign-in made, and the one that decided it: the token exchange if it broke,
 * otherwise the last profile call. Broken openId and phoneAndEmail calls must not matter.
 */
const traceSignIn = (outcome: Outcome, log: readonly RequestLogEntry[]) => {
  const tokenCalls = log.filter(
    (entry) => entry.target === 'token' && entry.params['code'] === outcome.code,
  );
  expect(tokenCalls.length, 'the token exchange is tried twice at most').toBeLessThanOrEqual(2);
  const [firstTokenCall, lastTokenCall] = [tokenCalls[0]!, tokenCalls.at(-1)!];
  const accessToken = /"access_token":"([^"]+)"/.exec(lastTokenCall.body)?.[1];
  const openApiCalls = accessToken
    ? log.filter((entry) => entry.target === 'openApi' && entry.params['token'] === accessToken)
    : [];
  const profileCalls = openApiCalls.filter((entry) => entry.path === '/user/profile');
  expect(profileCalls.length, 'an Open API call is tried twice at most').toBeLessThanOrEqual(2);
  for (const calls of [tokenCalls, profileCalls]) {
    if (calls.length === 1 && retryable(calls[0])) {
      expect(outcome.ms, 'a curable failure is tried again while time is left').toBeGreaterThan(
        timeoutMs - 100,
      );
    }
  }
  // A 96013 that the first exchange caused, by spending the code, reports the first failure.
  const tokenDecisive =
    tokenCalls.length === 2 && lastTokenCall.xiaomiCode === 96013 ? firstTokenCall : lastTokenCall;
  const decisive = accessToken ? profileCalls.at(-1) : tokenDecisive;
  return {
    calls: [...tokenCalls, ...openApiCalls],
    allowed: decisive ? allowedCodes(decisive) : [],
    sensitive: [
      fake.app.clientSecret,
      outcome.code,
      ...tokenCalls.flatMap((call) => /"access_token":"([^"]+)"/.exec(call.body)?.[1] ?? []),
    ],
  };
};

const tally = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Checks every sign-in against the answers Xiaomi gave it, and sums up the run. */
const checkOutcomes = (outcomes: readonly Outcome[], log: readonly RequestLogEntry[]) => {
  const connectorCalls = log.filter(({ target }) => target === 'token' || target === 'openApi');
  const faultsByKind: Record<string, number> = {};
  const failuresByCode: Record<string, number> = {};
  let slowTimeouts = 0;
  for (const { fault } of connectorCalls) if (fault) tally(faultsByKind, fault);
  for (const outcome of outcomes) {
    const { calls, allowed, sensitive } = traceSignIn(outcome, log);
    const context = `sign-in ${outcome.index}: ${calls
      .map((call) => `${call.path} ${call.fault ? `${call.fault} ${call.strikes}` : call.outcome}`)
      .join(', ')} -> ${outcome.error?.code ?? 'user info'}`;
    expect(outcome.ms, context).toBeLessThanOrEqual(timeoutMs + timerSlackMs);
    if (!outcome.error) {
      expect(allowed, `${context}: a broken answer went unnoticed`).toEqual([]);
      expect(outcome.userId).toBe(fake.user.unionId);
      continue;
    }
    tally(failuresByCode, outcome.error.code);
    const leaked = `${inspect(outcome.error, { depth: 10 })} ${JSON.stringify(outcome.error.data)}`;
    for (const value of sensitive) {
      expect(leaked, `${context}: the error echoes a secret`).not.toContain(value);
    }
    if (allowed.includes(outcome.error.code)) {
      continue;
    }
    // Nothing broke, yet the sign-in ran out of time: the machine was too busy to answer in time.
    // At least one attempt then spent its whole limit (40% of the budget, src/xiaomi.ts), and a
    // second one may have failed sooner, when the budget left it less.
    expect(outcome.error.code, context).toBe(ConnectorErrorCodes.General);
    expect(outcome.ms, context).toBeGreaterThanOrEqual(timeoutMs * 0.4 - 50);
    slowTimeouts++;
  }
  return {
    connectorCalls: connectorCalls.length,
    brokenCalls: Object.values(faultsByKind).reduce((sum, count) => sum + count, 0),
    faultsByKind,
    failuresByCode,
    succeeded: outcomes.filter((outcome) => !outcome.error).length,
    slowTimeouts,
    slowestMs: Math.max(...outcomes.map((outcome) => outcome.ms)),
  };
};

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);

describe('300 sign-ins, 32 at a time, with 20% of Xiaomi’s answers broken', () => {
  it('settle in time, fail only with the table’s codes, leak nothing and echo no secret', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const outgoing = watchOutgoingHosts();

    try {
      // A full warm-up round under the same faults and checks: loading and compiling code (the
      // assertion library's too, some 2 MB) and filling the connection pool are not leaks, and a
      // shorter round leaves rare paths to compile during the measured one.
      await runSignIns(concurrency, 10_000);
      fake.setFaults(faults);
      checkOutcomes(await runSignIns(signIns, 20_000), fake.requestLog);
      fake.setFaults({});
      fake.clearLog();
      const socketsBefore = {
        process: await settleTo(openTcpSockets, 0, 3000),
        fake: await settleTo(() => fake.openConnections(), 0, 1000),
      };
      const heapBefore = await heapUsedAfterGc();

      fake.setFaults(faults);
      const started = performance.now();
      const outcomes = await runSignIns(signIns, 0);
      const wallMs = performance.now() - started;
      fake.setFaults({});
      expect(outcomes).toHaveLength(signIns);
      const figures = checkOutcomes(outcomes, fake.requestLog);
      outcomes.length = 0;
      fake.clearLog();

      const socketsAfter = {
        process: await settleTo(openTcpSockets, socketsBefore.process, 5000),
        fake: await settleTo(() => fake.openConnections(), socketsBefore.fake, 1000),
      };
      const heapAfter = await heapUsedAfterGc();

      console.log(
        [
          `soak (seed ${seed}): ${signIns} sign-ins, ${concurrency} at a time, in ${(wallMs / 1000).toFixed(1)} s`,
          `  connector calls to Xiaomi: ${figures.connectorCalls}, broken: ${figures.brokenCalls} (${((figures.brokenCalls / figures.connectorCalls) * 100).toFixed(1)}%) ${JSON.stringify(figures.faultsByKind)}`,
          `  succeeded: ${figures.succeeded}, failed: ${signIns - figures.succeeded} ${JSON.stringify(figures.failuresByCode)}, of which timed out with nothing broken: ${figures.slowTimeouts}`,
          `  slowest sign-in: ${figures.slowestMs.toFixed(0)} ms (bound ${timeoutMs} ms)`,
          `  TCP sockets in this process: ${socketsBefore.process} before, ${socketsAfter.process} after; open on the fake: ${socketsBefore.fake} before, ${socketsAfter.fake} after`,
          `  heap after GC: ${mb(heapBefore)} MB before, ${mb(heapAfter)} MB after`,
          `  hosts connected to: ${[...outgoing.hosts].join(', ')}; unhandled rejections: ${unhandled.length}`,
        ].join('\n'),
      );

      expect(figures.brokenCalls / figures.connectorCalls).toBeGreaterThan(brokenShare * 0.75);
      // Without second attempts, a sign-in survives only when both its token exchange and its
      // profile call are unbroken: about 64% of them (71% with this seed, before the retry rule,
      // when every fault struck before Xiaomi). Curable faults now cost nothing but time.
      expect(figures.succeeded / signIns, 'share of sign-ins that succeeded').toBeGreaterThan(0.72);
      expect(figures.slowTimeouts, 'sign-ins that timed out with nothing broken').toBeLessThan(
        signIns * 0.05,
      );
      expect(unhandled).toEqual([]);
      expect([...outgoing.hosts]).toEqual(['127.0.0.1']);
      expect(socketsAfter).toEqual(socketsBefore);
      // What may remain is the fake's own record of 300 codes and token pairs (about 0.3 MB).
      expect(heapAfter - heapBefore).toBeLessThan(1.5 * 1_048_576);
    } finally {
      outgoing.stop();
      process.off('unhandledRejection', onUnhandled);
    }
  }, 60_000);
});
