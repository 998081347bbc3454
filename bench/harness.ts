// What main.ts stands on: the fake Xiaomi, which runs in main.ts's own process; worker processes
// (worker.ts): built, started, spoken to over IPC one message and one answer at a time, and what
// they leave (heap snapshots); numbers and the tables' formatting.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { build } from 'esbuild';

import { startConnectProxy } from '../fakes/network/connect-proxy.ts';
import { startFakeXiaomi } from '../fakes/xiaomi/index.ts';
import { passConsent } from '../fakes/user/scripted-user.ts';
import { fakeTls, unresolvableHost } from '../fakes/network/tls.ts';
import { benchApp, labels, redirectUri, type ConnectorName, type Scope } from './connectors.ts';
import type { Run, RunResult, Sample } from './worker.ts';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const cache = path.join(root, '.cache', 'bench');
export type Fake = Awaited<ReturnType<typeof startFake>>;
export type ProxyCalls = { calls: number; throughProxy: number };

// The connector as it ships, copied aside: other work in this checkout may rebuild lib/ meanwhile.
// The worker as plain JavaScript, connectors.ts in a chunk of its own, loaded after the import.
export const buildWorker = async () => {
  for (const dir of ['lib', 'js'])
    await rm(path.join(cache, dir), { recursive: true, force: true });
  await promisify(execFile)(process.execPath, ['scripts/build.mjs'], { cwd: root });
  await cp(path.join(root, 'lib'), path.join(cache, 'lib'), { recursive: true });
  await build({
    entryPoints: ['bench/worker.ts'],
    outdir: path.join(cache, 'js'),
    bundle: true,
    splitting: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node22',
  });
};

/** The fake Xiaomi; with `tls`, on HTTPS under a name only the CONNECT proxy beside it knows. */
export const startFake = async (tls = false) => {
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
     * Fresh codes, as Xiaomi's consent page issues them. The page costs milliseconds per code,
     * more than a sign-in, so only the first comes from it (over HTTP, as a browser gets it); the
     * rest from the store method its form uses, for the same consent. Faults are off meanwhile.
     */
    mint: async (count: number, scope: Scope = '1') => {
      const query = new URLSearchParams({
        client_id: benchApp.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope,
        state: 'bench',
      });
      fake.setFaults({});
      const authorize = fake.endpoints.authorize.replace(unresolvableHost, '127.0.0.1');
      const outcome = await passConsent(`${authorize}?${query}`, { decision: 'allow' });
      const code = outcome.kind === 'redirected' ? outcome.query.code : undefined;
      if (!code) throw new Error(`the fake refused to issue a code: ${JSON.stringify(outcome)}`);
      // The fake logs every request, hundreds of thousands in a run: `calls` count from here.
      fake.clearLog();
      proxy?.reset();
      return [code, ...fake.issueCodesLike(code, count - 1)];
    },
    /** Connector calls since the last mint, and how many came through the proxy. */
    calls: (): ProxyCalls => {
      const calls = fake.requestLog.filter((entry) => ['token', 'openApi'].includes(entry.target));
      const viaProxy = calls.filter((entry) => proxy?.upstreamPorts.has(entry.remotePort));
      return { calls: calls.length, throughProxy: viaProxy.length };
    },
    close: () => Promise.all([fake.close(), proxy?.close()]),
  };
};

export type Worker = Awaited<ReturnType<typeof startWorker>>;

/** A fresh worker process running one connector at one scope, ready once it answers. */
export const startWorker = async (
  name: ConnectorName,
  scope: Scope,
  fake: Fake,
  {
    execArgv = [] as string[],
    /** A CPU profile of the whole process, left in .cache/bench/profiles. */
    profile = false,
    origin = fake.fake.origin,
    env = {} as Record<string, string>,
    /** Loads what Logto has loaded (connector-kit, zod) before timing the import. */
    host = false,
  } = {},
) => {
  const file = `--cpu-prof-name=${name}-${scope.replaceAll(' ', '')}.cpuprofile`;
  const profiling = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cache, 'profiles')}`, file]
    : [];
  const argv = [
    ...profiling,
    ...execArgv,
    path.join(cache, 'js', 'worker.js'),
    name,
    scope,
    origin,
  ];
  const child = spawn(process.execPath, ['--expose-gc', ...argv, host ? 'host' : ''], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const exited = once(child, 'exit');
  const died = exited.then(([code]) => {
    throw new Error(`worker ${name} at scope ${scope} exited with ${code}`);
  });
  died.catch(() => undefined);
  const ask = async <Answer>(message?: Run | Sample) => {
    const answer = once(child, 'message');
    if (message) child.send(message);
    const [reply] = (await Promise.race([answer, died])) as [Answer & { error?: string }];
    if (reply.error) throw new Error(`worker ${name} at scope ${scope}: ${reply.error}`);
    return reply;
  };
  const ready = await ask<{ importMs: number; setupMs: number }>();
  return {
    name,
    scope,
    ready,
    /** A failed sign-in stops the benchmark, unless `tolerant`: then failures are counted. */
    run: async (codes: string[], { concurrency = 1, pauseMs = 0, tolerant = false } = {}) => {
      const result = await ask<RunResult>({ codes, concurrency, pauseMs });
      if (result.failed && !tolerant) {
        throw new Error(`${name} at scope ${scope}: ${JSON.stringify(result.failures)}`);
      }
      return result;
    },
    sample: (snapshots: Sample) => ask<{ heapUsed: number; rss: number }>(snapshots),
    exit: async () => {
      child.disconnect();
      await exited;
    },
  };
};

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The slope of the least-squares line through the points (`xs[i]`, `ys[i]`). */
export const leastSquaresSlope = (xs: number[], ys: number[]) => {
  const mean = (values: number[]) => values.reduce((sum, x) => sum + x, 0) / values.length;
  const [mx, my] = [mean(xs), mean(ys)];
  return mean(xs.map((x, i) => (x - mx) * (ys[i]! - my))) / mean(xs.map((x) => (x - mx) ** 2)) || 0;
};

// What a heap snapshot a worker wrote holds, in bytes, before it is deleted: JavaScript data
// (objects, strings, closures...) and compiled code (bytecode, machine code, their metadata), not
// V8's bookkeeping.
export const heapKinds = async (file: string) => {
  const { snapshot, nodes } = JSON.parse(await readFile(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
  };
  await rm(file);
  const { node_fields: fields, node_types: types } = snapshot.meta;
  const [type, size] = [fields.indexOf('type'), fields.indexOf('self_size')];
  const kinds = { data: 0, code: 0 };
  for (let index = 0; index < nodes.length; index += fields.length) {
    const [kind, bytes] = [types[0][nodes[index + type]!]!, nodes[index + size]!];
    if (kind === 'code') kinds.code += bytes;
    else if (!['hidden', 'synthetic', 'object shape'].includes(kind)) kinds.data += bytes;
  }
  return kinds;
};

export const label = ({ name, scope }: { name: ConnectorName; scope?: Scope }) =>
  scope ? `${labels[name]} (scope \`${scope}\`)` : labels[name];
export const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
export const mib = (bytes: number, unit = ' MiB') => `${(bytes / 1024 / 1024).toFixed(2)}${unit}`;

/** A markdown table, the header and each row given as its cells joined by ` | `. */
export const table = (header: string, rows: string[]) =>
  [header, header.replace(/[^|]+/g, ' --- '), ...rows].map((row) => `| ${row} |`).join('\n');

/** The last cells of a row of the Targets table. */
export const pass = (passed: boolean) => (passed ? 'pass' : '**FAIL**');
export const ratio = (value: number, limit: number) =>
  `${value.toFixed(2)}x | ≤ ${limit.toFixed(2)}x | ${pass(value <= limit)}`;
