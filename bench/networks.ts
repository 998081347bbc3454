// Real networks (issue 11): both connectors, side by side, against a fake Xiaomi that breaks a
// fifth of its answers, forgets idle connections, closes after every answer, or can be reached
// only through Logto's outbound proxy; and the first sign-in once idle connections were closed
// (new TCP and TLS connections) next to a warm one. Run by main.ts, reported by report.ts.
import { setTimeout as sleep } from 'node:timers/promises';

import type { Connections, Faults } from '../fake-xiaomi/index.ts';
import { certFile, unresolvableHost } from '../fake-xiaomi/tls.ts';
import { connectors, type ConnectorName } from './connectors.ts';
import { startFake, startWorker, type Fake, type Worker } from './harness.ts';
import { median } from './report.ts';
import type { RunResult } from './worker.ts';

export const scenarios = {
  faults: 'a fifth of the answers broken, before Xiaomi’s logic',
  faultsAfter: 'a fifth of the answers broken, half of them after Xiaomi’s logic (code spent)',
  idleClosing: 'connections forgotten after 1 s idle, sign-ins 1.5 s apart',
  closeAfterAnswer: 'every connection closed after its answer, sign-ins back to back',
  proxy: 'HTTPS only through HTTPS_PROXY, NODE_USE_ENV_PROXY=1',
  noProxy: 'HTTPS_PROXY set, NODE_USE_ENV_PROXY unset',
} as const;
export type Scenario = keyof typeof scenarios;

export type NetworkRow = {
  scenario: Scenario;
  name: ConnectorName;
  signIns: number;
  failed: number;
  /** Failures that reached Logto as something else than a ConnectorError. */
  notConnectorErrors: number;
  failuresByCode: Record<string, number>;
  slowestMs: number;
  /** Calls the fake answered, and how many came through the proxy (proxy scenarios). */
  calls?: number;
  throughProxy?: number;
};

export type ColdStart = { name: ConnectorName; samples: number; coldMs: number; warmMs: number };

export type NetworkResults = { rows: NetworkRow[]; coldStarts: ColdStart[] };

/** The soak's mix (test/soak.test.ts): the five fault kinds alike, with a little latency. */
const faultMix = (afterShare: number): Partial<Faults> => ({
  latencyMs: [0, 15],
  rates: { html5xx: 0.04, reset: 0.04, stall: 0.04, garbage: 0.04, errorEnvelope: 0.04 },
  afterShare,
});

const row = (scenario: Scenario, name: ConnectorName, result: RunResult): NetworkRow => {
  const failuresByCode: Record<string, number> = {};
  for (const { code = 'not a ConnectorError' } of result.failures) {
    failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
  }
  return {
    scenario,
    name,
    signIns: result.signIns,
    failed: result.failures.length,
    notConnectorErrors: result.failures.filter((failure) => failure.code === undefined).length,
    failuresByCode,
    slowestMs: Math.max(...result.latencies),
  };
};

export const measureNetworks = async (
  plain: Fake,
  libDirectory: string,
  scaled: (count: number) => number,
  log: (text: string) => void,
): Promise<NetworkResults> => {
  const rows: NetworkRow[] = [];
  const logRow = (entry: NetworkRow) => {
    rows.push(entry);
    log(
      `        ${entry.name.padEnd(8)} ${scenarios[entry.scenario]}: ${entry.signIns - entry.failed}/${entry.signIns} signed in, slowest ${(entry.slowestMs / 1000).toFixed(2)} s` +
        (entry.calls === undefined ? '' : `, ${entry.throughProxy}/${entry.calls} calls via proxy`),
    );
  };

  // Both connectors at once, each against its own share of the same broken fake: the same
  // conditions for both, and half the wall time. Codes are minted first: minting spares faults.
  const workers = await Promise.all(
    connectors.map(async (name) => startWorker(name, '1', plain, libDirectory)),
  );
  const sideBySide = async (
    scenario: Scenario,
    network: { faults?: Partial<Faults>; connections?: Partial<Connections> },
    signIns: number,
    options: { concurrency?: number; pauseMs?: number },
  ) => {
    const codes: string[][] = [];
    while (codes.length < workers.length) codes.push(await plain.mint(signIns, '1'));
    plain.fake.setFaults(network.faults ?? {});
    plain.fake.setConnections(network.connections ?? {});
    const results = await Promise.all(
      workers.map(async (worker, index) =>
        worker.run(codes[index]!, { ...options, tolerant: true }),
      ),
    );
    plain.fake.setFaults({});
    plain.fake.setConnections({});
    workers.forEach((worker, index) => logRow(row(scenario, worker.name, results[index]!)));
  };
  for (const worker of workers) {
    await worker.run(await plain.mint(scaled(200), '1'), { concurrency: 8 });
  }
  await sideBySide('faults', { faults: faultMix(0) }, scaled(300), { concurrency: 32 });
  await sideBySide('faultsAfter', { faults: faultMix(0.5) }, scaled(300), { concurrency: 32 });
  await sideBySide('idleClosing', { connections: { idleCloseMs: 1000 } }, 6, { pauseMs: 1500 });
  await sideBySide('closeAfterAnswer', { connections: { closeAfterAnswer: true } }, 40, {});
  await Promise.all(workers.map(async (worker) => worker.exit()));

  // Over HTTPS: through the proxy, under the fake's own name; then directly, proxy variables set
  // but not NODE_USE_ENV_PROXY, which also times the first sign-in on new connections.
  const tls = await startFake({ tls: true });
  const trusted = { NODE_EXTRA_CA_CERTS: certFile, HTTPS_PROXY: tls.proxy!.url };
  const viaProxy = async (worker: Worker, scenario: Scenario, signIns: number) => {
    const result = await worker.run(await tls.mint(signIns, '1'), { tolerant: true });
    logRow({ ...row(scenario, worker.name, result), ...tls.stats() });
  };
  const coldStarts: ColdStart[] = [];
  for (const name of connectors) {
    const proxied = await startWorker(name, '1', tls, libDirectory, {
      env: { ...trusted, NODE_USE_ENV_PROXY: '1' },
    });
    await viaProxy(proxied, 'proxy', scaled(40));
    await proxied.exit();

    const direct = await startWorker(name, '1', tls, libDirectory, {
      origin: tls.fake.origin.replace(unresolvableHost, '127.0.0.1'),
      env: trusted,
    });
    await viaProxy(direct, 'noProxy', scaled(40));
    await direct.run(await tls.mint(scaled(200), '1'), { concurrency: 8 });
    const cold: number[] = [];
    const warm: number[] = [];
    for (let sample = 0; sample < 11; sample++) {
      const [first, second] = await tls.mint(2, '1');
      tls.fake.closeIdleConnections();
      // The connector sees the connections close before its next sign-in.
      await sleep(100);
      cold.push((await direct.run([first!], { tolerant: true })).latencies[0]!);
      warm.push((await direct.run([second!], { tolerant: true })).latencies[0]!);
    }
    coldStarts.push({ name, samples: cold.length, coldMs: median(cold), warmMs: median(warm) });
    log(
      `        ${name.padEnd(8)} first sign-in on new connections ${median(cold).toFixed(1)} ms, warm ${median(warm).toFixed(1)} ms (medians)`,
    );
    await direct.exit();
  }
  await tls.close();
  return { rows, coldStarts };
};
