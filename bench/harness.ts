// What every measurement stands on: the fake Xiaomi, in the orchestrator's own process (main.ts,
// which measures nothing itself), and a worker process per connector (worker.ts), spoken to over
// IPC one message and one answer at a time. Only the workers are measured; see worker.ts for why
// each is a process of its own.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startConnectProxy } from '../fake-xiaomi/connect-proxy.ts';
import { passConsent } from '../fake-xiaomi/scripted-user.ts';
import { startFakeXiaomi } from '../fake-xiaomi/index.ts';
import { fakeTls, unresolvableHost } from '../fake-xiaomi/tls.ts';
import { benchApp, redirectUri, type ConnectorName, type Scope } from './connectors.ts';
import type { MemorySample, Ready, RunResult, WorkerMessage } from './worker.ts';

export const root = fileURLToPath(new URL('..', import.meta.url));

export type Fake = Awaited<ReturnType<typeof startFake>>;

/**
 * The fake Xiaomi. With `tls`, it serves HTTPS under `xiaomi.invalid`, a name no resolver knows,
 * behind a CONNECT proxy on loopback that is the only way to reach it by that name (networks.ts);
 * `https://127.0.0.1:<port>` reaches it directly.
 */
export const startFake = async ({ tls = false } = {}) => {
  const fake = await startFakeXiaomi({
    apps: [{ ...benchApp, redirectUris: [redirectUri] }],
    // Longer than any pause between two measurements: idle keep-alive sockets stay usable.
    keepAliveTimeoutMs: 60_000,
    ...(tls && { tls: fakeTls, hostname: unresolvableHost }),
  });
  const proxy = tls ? await startConnectProxy() : undefined;
  return {
    fake,
    proxy,
    /**
     * Fresh codes for `scope`, as Xiaomi's consent page issues them. A run needs ~80,000 and the
     * consent page costs milliseconds per code, more than a sign-in. So each batch starts with one
     * code obtained the way a browser obtains it (the consent page and its form, over HTTP), and
     * the rest are issued by the same store method for the same consent (`issueCodesLike`).
     * Faults are off while minting: set them after.
     */
    mint: async (count: number, scope: Scope) => {
      const authorize = new URL(fake.endpoints.authorize.replace(unresolvableHost, '127.0.0.1'));
      authorize.searchParams.set('client_id', benchApp.clientId);
      authorize.searchParams.set('redirect_uri', redirectUri);
      authorize.searchParams.set('response_type', 'code');
      authorize.searchParams.set('scope', scope);
      authorize.searchParams.set('state', 'bench');
      fake.setFaults({});
      const outcome = await passConsent(authorize.href, { decision: 'allow' });
      const code = outcome.kind === 'redirected' ? outcome.query.code : undefined;
      if (!code) {
        throw new Error(`the fake refused to issue a code: ${JSON.stringify(outcome)}`);
      }
      // The fake logs every request; a run makes hundreds of thousands. Stats count from here.
      fake.clearLog();
      proxy?.reset();
      return [code, ...fake.issueCodesLike(code, count - 1)];
    },
    /** Connector calls since the last mint, and how many came through the proxy. */
    stats: () => {
      const calls = fake.requestLog.filter(
        (entry) => entry.target === 'token' || entry.target === 'openApi',
      );
      const throughProxy = calls.filter((entry) => proxy?.upstreamPorts.has(entry.remotePort));
      return { calls: calls.length, throughProxy: throughProxy.length };
    },
    close: async () => {
      await Promise.all([fake.close(), proxy?.close()]);
    },
  };
};

export type Worker = Awaited<ReturnType<typeof startWorker>>;

type WorkerOptions = {
  /** Node options, e.g. `--no-flush-bytecode`. */
  execArgv?: string[];
  /** The fake's origin as the worker should reach it; the fake's own by default. */
  origin?: string;
  env?: Record<string, string>;
  /** Loads what Logto has loaded (connector-kit, zod) before timing the import. */
  host?: boolean;
};

/** A fresh worker process running one connector at one scope, ready once it answers. */
export const startWorker = async (
  name: ConnectorName,
  scope: Scope,
  fake: Fake,
  libDirectory: string,
  { execArgv = [], origin = fake.fake.origin, env = {}, host = false }: WorkerOptions = {},
) => {
  const script = path.join(root, '.cache', 'bench', 'js', 'worker.mjs');
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      ...execArgv,
      script,
      name,
      scope,
      origin,
      libDirectory,
      ...(host ? ['host'] : []),
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } },
  );
  const exited = once(child, 'exit');
  const died = exited.then(([code]) => {
    throw new Error(`worker ${name} at scope ${scope} exited with ${code}`);
  });
  died.catch(() => undefined);
  const ask = async <Answer>(message?: WorkerMessage): Promise<Answer> => {
    const answer = once(child, 'message');
    if (message) child.send(message);
    const [reply] = (await Promise.race([answer, died])) as [Answer & { type?: string }];
    if (reply.type === 'error') {
      throw new Error(
        `worker ${name} at scope ${scope}: ${(reply as { message?: string }).message}`,
      );
    }
    return reply;
  };
  const ready = await ask<Ready>();
  return {
    name,
    scope,
    ready,
    /**
     * Runs the codes, `concurrency` at a time. A failed sign-in stops the benchmark, unless
     * `tolerant` (networks.ts): then failures are counted.
     */
    run: async (codes: string[], { concurrency = 1, pauseMs = 0, tolerant = false } = {}) => {
      const result = await ask<RunResult>({ type: 'run', codes, concurrency, pauseMs });
      if (result.failures.length && !tolerant) {
        throw new Error(`${name} at scope ${scope}: ${JSON.stringify(result.failures)}`);
      }
      return result;
    },
    sample: async (snapshots: { snapshotBefore?: string; snapshotAfter?: string }) =>
      ask<MemorySample>({ type: 'sample', ...snapshots }),
    exit: async () => {
      child.disconnect();
      await exited;
    },
  };
};
