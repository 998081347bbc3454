import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { authorizePath, decisionPath, handleAuthorize, handleDecision } from './authorize.ts';
import type { Answer, ConnectionPolicy } from './connections.ts';
import { reset } from './connections.ts';
import type { FaultKind, FaultScript, FaultTarget, Faults, Strikes } from './faults.ts';
import { chooseFault, defaultFaults, drawLatency, faultReply } from './faults.ts';
import { MacVerifier } from './mac.ts';
import { handleOpenApi, isOpenApiPath } from './open-api.ts';
import type { FakeStore } from './store.ts';
import { handleToken, tokenPath } from './token.ts';
import type { Quirks, Reply } from './wire.ts';
import { defaultQuirks, readParams } from './wire.ts';

type LogTarget = FaultTarget | 'decision' | 'unknown';

export interface RequestLogEntry {
  seq: number;
  target: LogTarget;
  method: string;
  path: string;
  /** Query and form parameters as received, secrets included: this is Xiaomi's side. */
  params: Record<string, string>;
  /** 0 when the connection was reset or the request was left hanging. */
  status: number;
  /**
   * `aborted`: the client went away before the answer was written. `dropped`: the request came on
   * a connection the network had forgotten (`idleCloseMs`) and never reached Xiaomi.
   */
  outcome: 'answered' | 'reset' | 'stalled' | 'aborted' | 'dropped';
  fault?: FaultKind;
  /** When the fault struck: before Xiaomi's logic ran (nothing spent), or after (a code spent). */
  strikes?: Strikes;
  /** The client's port as the server saw it: a proxy's upstream connection, or the connector's. */
  remotePort: number;
  xiaomiCode?: number;
  body: string;
  startedAt: number;
}

export interface CannedAnswer {
  status: number;
  body: string;
  contentType?: string;
  /**
   * How the body ends. `whole` (the default). `stalls`: sent under a length it never reaches, then
   * nothing more, as from a server that hung mid-answer. `endless`: followed by filler that never
   * ends, as from a broken proxy; until the client hangs up or `close()`.
   */
  ends?: Answer['ends'];
}

const route = (method: string, path: string): LogTarget => {
  if (method === 'GET' && path === authorizePath) {
    return 'authorize';
  }
  if (method === 'POST' && path === decisionPath) {
    return 'decision';
  }
  if ((method === 'GET' || method === 'POST') && path === tokenPath) {
    return 'token';
  }
  return method === 'GET' && isOpenApiPath(path) ? 'openApi' : 'unknown';
};

/** Repeated parameters (the consent form's scope checkboxes) joined with a comma. */
const paramsRecord = (params: URLSearchParams): Record<string, string> =>
  Object.fromEntries([...new Set(params.keys())].map((key) => [key, params.getAll(key).join(',')]));

const notFound: Reply = {
  status: 404,
  headers: { 'content-type': 'text/plain' },
  body: 'Not Found',
};

/**
 * What the fake does with each request: routes it to Xiaomi's logic or a canned answer, lets the
 * scripted or random faults strike before or after that logic, and logs what came of it.
 */
export class Responder {
  faults: Faults;
  readonly quirks: Quirks;
  /** By lower-cased path, as Xiaomi matches paths. */
  readonly scripts = new Map<string, FaultScript>();
  /** `undefined` for a path whose canned answer was taken back. */
  readonly canned = new Map<string, Answer | undefined>();
  readonly log: RequestLogEntry[] = [];
  private seq = 0;
  private readonly macVerifier: MacVerifier;

  constructor(
    private readonly store: FakeStore,
    private readonly connections: ConnectionPolicy,
    private readonly random: () => number,
    options: { faults?: Partial<Faults>; quirks?: Partial<Quirks> },
  ) {
    this.faults = { ...defaultFaults, ...options.faults };
    this.quirks = { ...defaultQuirks, ...options.quirks };
    this.macVerifier = new MacVerifier(store.now);
  }

  async respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const target = route(method, url.pathname);
    const path = url.pathname.toLowerCase();
    let params = url.searchParams;
    const { socket } = request;
    const log = (
      entry: Pick<RequestLogEntry, 'status' | 'outcome' | 'body' | 'xiaomiCode'>,
      fault?: { kind: FaultKind; strikes: Strikes },
    ) => {
      this.log.push({
        seq: this.seq++,
        target,
        method,
        path: url.pathname,
        params: paramsRecord(params),
        ...entry,
        fault: fault?.kind,
        strikes: fault?.strikes,
        remotePort: socket.remotePort ?? 0,
        startedAt,
      });
    };
    if (this.connections.forgot(socket, startedAt)) {
      log({ status: 0, outcome: 'dropped', body: '' });
      reset(socket);
      return;
    }
    try {
      params = await readParams(request, url);
    } catch {
      log({ status: 0, outcome: 'aborted', body: '' });
      return;
    }
    const latency = drawLatency(this.faults, this.random);
    if (latency > 0) {
      await sleep(latency);
    }
    const faultTarget = target === 'decision' || target === 'unknown' ? undefined : target;
    const fault =
      faultTarget && chooseFault(this.faults, faultTarget, this.scripts.get(path), this.random);
    const xiaomiAnswer = (): Answer =>
      this.canned.get(path) ?? this.answer(target, request, url, params);
    const processed = fault?.strikes === 'after' ? xiaomiAnswer() : undefined;
    if (fault?.kind === 'reset') {
      log({ status: 0, outcome: 'reset', body: '' }, fault);
      reset(socket);
      return;
    }
    if (fault?.kind === 'stall') {
      // Left unanswered: the client's timeout or close() ends it.
      log({ status: 0, outcome: 'stalled', body: '' }, fault);
      return;
    }
    const reply: Answer =
      (fault && faultReply(fault.kind, faultTarget!, this.faults, this.quirks, this.random)) ??
      processed ??
      xiaomiAnswer();
    // A client that gave up (its timeout) still had its request processed, as on a real server.
    const outcome = socket.destroyed ? 'aborted' : reply.ends === 'stalls' ? 'stalled' : 'answered';
    log({ status: reply.status, outcome, body: reply.body, xiaomiCode: reply.xiaomiCode }, fault);
    this.connections.write(response, socket, reply);
  }

  private answer(
    target: LogTarget,
    request: IncomingMessage,
    url: URL,
    params: URLSearchParams,
  ): Reply {
    switch (target) {
      case 'authorize':
        return handleAuthorize(this.store, params);
      case 'decision':
        return handleDecision(this.store, params);
      case 'token':
        return handleToken(this.store, params, this.quirks);
      case 'openApi':
        return handleOpenApi(this.store, this.macVerifier, request, url, this.quirks);
      case 'unknown':
        return notFound;
    }
  }
}
