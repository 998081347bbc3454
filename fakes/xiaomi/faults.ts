import { randomBytes } from 'node:crypto';

import type { Quirks, Reply } from './wire.ts';
import {
  envelopeErrorReply,
  errorPageReply,
  htmlReply,
  tokenErrorReply,
  tokenPrefix,
} from './wire.ts';
import type { XiaomiCode } from './xiaomi-codes.ts';

export const faultKinds = ['html5xx', 'reset', 'stall', 'garbage', 'errorEnvelope'] as const;
export type FaultKind = (typeof faultKinds)[number];

export type FaultTarget = 'authorize' | 'token' | 'openApi';

/** Before Xiaomi's logic runs (a gateway in front of it), or after (its answer lost on the way). */
export type Strikes = 'before' | 'after';

export interface Faults {
  /** Added before every answer: a fixed delay or a [min, max] range, in real milliseconds. */
  latencyMs: number | readonly [number, number];
  /** Each kind's share of answers, from 0 to 1; together at most 1. */
  rates: Partial<Record<FaultKind, number>>;
  /** Where faults strike; by default only where the connector talks to Xiaomi. */
  targets: FaultTarget[];
  /**
   * The share of faults, from 0 to 1, that strike after Xiaomi's logic ran: the code or refresh
   * token is spent, and a retry of the exchange gets 96013 (96009). The rest strike before.
   */
  afterShare: number;
  /** The codes an injected error envelope carries, picked at random. */
  tokenErrorCodes: XiaomiCode[];
  openApiErrorCodes: XiaomiCode[];
}

export const defaultFaults: Faults = {
  latencyMs: 0,
  rates: {},
  targets: ['token', 'openApi'],
  afterShare: 0,
  tokenErrorCodes: [96001, 96002, 96003, 96004, 96005, 96010, 96012, 96013],
  openApiErrorCodes: [96002, 96005, 96007, 96008, 96012],
};

/** mulberry32: a small seeded generator, so a failing soak can be replayed. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const pick = <T>(items: readonly T[], random: () => number): T =>
  items[Math.floor(random() * items.length)]!;

export const drawLatency = (faults: Faults, random: () => number): number => {
  if (typeof faults.latencyMs === 'number') {
    return faults.latencyMs;
  }
  const [min, max] = faults.latencyMs;
  return min + Math.floor(random() * (max - min + 1));
};

/** The faults scripted for one path (`scriptFaults`), taken in order. */
export interface FaultScript {
  kinds: (FaultKind | 'none')[];
  strikes: Strikes;
}

/** The fault for one request, if any: the path's script first, then a random draw. */
export const chooseFault = (
  faults: Faults,
  target: FaultTarget,
  script: FaultScript | undefined,
  random: () => number,
): { kind: FaultKind; strikes: Strikes } | undefined => {
  const scripted = script?.kinds.shift();
  if (scripted !== undefined) {
    return scripted === 'none' ? undefined : { kind: scripted, strikes: script!.strikes };
  }
  if (!faults.targets.includes(target)) {
    return undefined;
  }
  const roll = random();
  let threshold = 0;
  const kind = faultKinds.find((each) => {
    threshold += faults.rates[each] ?? 0;
    return roll < threshold;
  });
  // Before: a broken gateway in front of Xiaomi, nothing spent. After: Xiaomi has answered (a
  // code or refresh token is spent) and the answer is lost on its way back.
  const after = kind !== undefined && faults.afterShare > 0 && random() < faults.afterShare;
  return kind && { kind, strikes: after ? 'after' : 'before' };
};

const gatewayErrors = [
  [500, 'Internal Server Error'],
  [502, 'Bad Gateway'],
  [503, 'Service Temporarily Unavailable'],
  [504, 'Gateway Time-out'],
] as const;

/** A gateway's error page: HTML where the client expects JSON, with a 5xx status. */
const html5xxReply = (random: () => number): Reply => {
  const [status, text] = pick(gatewayErrors, random);
  return htmlReply(
    status,
    `<html><head><title>${status} ${text}</title></head><body><center><h1>${status} ${text}</h1></center><hr><center>Tengine</center></body></html>`,
  );
};

/** A 200 whose body no client can read as Xiaomi's answer. */
const garbageReply = (target: FaultTarget, random: () => number): Reply => {
  const bodies = [
    randomBytes(64).toString('latin1'),
    target === 'token' ? `${tokenPrefix}{"access_token":"V3_tru` : '{"result":"ok","data":{"un',
    '',
    '<html><body>System maintenance</body></html>',
    target === 'token' ? `${tokenPrefix}null` : 'null',
    target === 'token' ? `${tokenPrefix}[1,2,3]` : '[]',
    target === 'token' ? `${tokenPrefix}{}` : '{"result":"ok","code":0}',
    target === 'token' ? 'START{"access_token":' : '{"result":"ok","data":"ok","code":0}',
  ];
  return {
    status: 200,
    headers: { 'content-type': pick(['application/json', 'text/html', 'text/plain'], random) },
    body: pick(bodies, random),
  };
};

/** A well-formed refusal Xiaomi did not mean: tests that every 96xxx code is mapped. */
const injectedErrorReply = (
  target: FaultTarget,
  faults: Faults,
  quirks: Quirks,
  random: () => number,
): Reply => {
  if (target === 'authorize') {
    return errorPageReply(pick(faults.tokenErrorCodes, random), 'injected error');
  }
  if (target === 'token') {
    return tokenErrorReply(pick(faults.tokenErrorCodes, random), 'injected error', quirks);
  }
  const code = pick(faults.openApiErrorCodes, random);
  return envelopeErrorReply(code, 'injected error', quirks, pick([200, 401, 403], random));
};

/** What a fault that answers at all answers in place of Xiaomi. */
export const faultReply = (
  kind: Exclude<FaultKind, 'reset' | 'stall'>,
  target: FaultTarget,
  faults: Faults,
  quirks: Quirks,
  random: () => number,
): Reply => {
  switch (kind) {
    case 'html5xx':
      return html5xxReply(random);
    case 'garbage':
      return garbageReply(target, random);
    case 'errorEnvelope':
      return injectedErrorReply(target, faults, quirks, random);
  }
};
