// The targets, as ratios to the official connector measured in the same run.
import { scenarios, type NetworkRow, type Scenario } from './networks.ts';
import {
  findCell,
  flatBytesPerSignIn,
  medianImportMs,
  retainedPerSignIn,
  type Results,
  type Row,
} from './results.ts';

export type Verdict = {
  target: string;
  measured: string;
  limit: string;
  pass: boolean;
};

const official1: Row = { name: 'official', scope: '1' };
const ours1: Row = { name: 'ours', scope: '1' };
const ours1346: Row = { name: 'ours', scope: '1 3 4 6' };

const ratio = (target: string, value: number, reference: number, limit: number): Verdict => ({
  target,
  measured: `${(value / reference).toFixed(2)}x`,
  limit: `≤ ${limit.toFixed(2)}x`,
  pass: value / reference <= limit,
});

const successShare = (row: NetworkRow | undefined) =>
  row ? (row.signIns - row.failed) / row.signIns : Number.NaN;

/** Issue 11's targets, for runs that measured networks (networks.ts). */
const networkTargets = (rows: NetworkRow[]): Verdict[] => {
  const find = (scenario: Scenario, name: 'ours' | 'official') =>
    rows.find((entry) => entry.scenario === scenario && entry.name === name);
  const ours = rows.filter((entry) => entry.name === 'ours');
  const lead = successShare(find('faults', 'ours')) - successShare(find('faults', 'official'));
  const slowest = Math.max(
    ...ours
      .filter((entry) => entry.scenario === 'faults' || entry.scenario === 'faultsAfter')
      .map((entry) => entry.slowestMs),
  );
  const failed = (scenario: Scenario): Verdict => {
    const entry = find(scenario, 'ours');
    return {
      target: `Sign-ins failed, ours: ${scenarios[scenario]}`,
      measured: String(entry?.failed),
      limit: '0',
      pass: entry?.failed === 0,
    };
  };
  const proxied = find('proxy', 'ours');
  const direct = find('noProxy', 'ours');
  const notConnectorErrors = ours.reduce((sum, entry) => sum + entry.notConnectorErrors, 0);
  return [
    {
      target: `Sign-ins that succeed, ours minus official: ${scenarios.faults}`,
      measured: `${lead >= 0 ? '+' : ''}${(lead * 100).toFixed(1)} pt`,
      limit: '≥ +10 pt',
      pass: lead >= 0.1,
    },
    {
      target: 'Slowest sign-in with broken answers, ours',
      measured: `${(slowest / 1000).toFixed(2)} s`,
      limit: '≤ 10.5 s',
      pass: slowest <= 10_500,
    },
    {
      target: 'Failures that are not a ConnectorError, ours, every network',
      measured: String(notConnectorErrors),
      limit: '0',
      pass: notConnectorErrors === 0,
    },
    failed('idleClosing'),
    failed('closeAfterAnswer'),
    {
      target: `Xiaomi calls through the proxy, ours: ${scenarios.proxy}`,
      measured: `${proxied?.throughProxy}/${proxied?.calls}`,
      limit: 'all',
      pass: proxied !== undefined && proxied.calls! > 0 && proxied.throughProxy === proxied.calls,
    },
    {
      target: `Xiaomi calls through the proxy, ours: ${scenarios.noProxy}`,
      measured: `${direct?.throughProxy}/${direct?.calls}`,
      limit: 'none',
      pass: direct !== undefined && direct.calls! > 0 && direct.throughProxy === 0,
    },
  ];
};

export const evaluateTargets = (results: Results): Verdict[] => {
  const cpu = (row: Row, concurrency: number) =>
    findCell(results, row, { concurrency, latencyMs: 0 }).cpuUs;
  const p50 = (row: Row) => findCell(results, row, { concurrency: 1, latencyMs: 50 }).p50Ms;
  return [
    ...[1, 32].flatMap((concurrency) => [
      ratio(
        `CPU per sign-in at scope 1, concurrency ${concurrency}`,
        cpu(ours1, concurrency),
        cpu(official1, concurrency),
        0.5,
      ),
      ratio(
        `CPU per sign-in, ours at 1 3 4 6 vs official at 1, concurrency ${concurrency}`,
        cpu(ours1346, concurrency),
        cpu(official1, concurrency),
        1,
      ),
    ]),
    ratio(
      'p50 latency with 50 ms per response, ours at 1 3 4 6 vs official at 1',
      p50(ours1346),
      p50(official1),
      1.15,
    ),
    ratio(
      'Import time of lib/index.js in a fresh process, as Logto imports it (median)',
      medianImportMs(results, 'ours', true),
      medianImportMs(results, 'official', true),
      1,
    ),
    ...[ours1, ours1346].map((row): Verdict => {
      const retained = retainedPerSignIn(results, row);
      return {
        target: `JavaScript data retained per sign-in after warm-up, ours at ${row.scope}`,
        measured: `${retained.toFixed(2)} B`,
        limit: `< ${flatBytesPerSignIn} B`,
        pass: retained < flatBytesPerSignIn,
      };
    }),
    ...(results.networks ? networkTargets(results.networks.rows) : []),
  ];
};

export const formatVerdicts = (verdicts: Verdict[]): string => {
  const width = Math.max(...verdicts.map((verdict) => verdict.target.length));
  return [
    'Targets (ratios to @logto/connector-xiaomi at scope 1, in this run):',
    ...verdicts.map(
      (verdict) =>
        `  ${verdict.pass ? 'PASS' : 'FAIL'}  ${verdict.target.padEnd(width)}  ` +
        `${verdict.measured.padStart(7)}  (${verdict.limit})`,
    ),
  ].join('\n');
};
