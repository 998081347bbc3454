// The figures main.ts gathered, the issues' targets as ratios to the official connector measured
// in the same run, and the generated section of docs/benchmarks.md (the rest of that file is
// hand-written and kept).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { connectorLabels, type ConnectorName, type Scope } from './connectors.ts';
import { scenarios, type NetworkResults, type NetworkRow, type Scenario } from './networks.ts';
import type { MemorySample, RunResult } from './worker.ts';

export type Row = { name: ConnectorName; scope: Scope };
export type Cell = { concurrency: number; latencyMs: number };

/** One cell of the grid for one connector and scope, over all rounds. */
export type CellSummary = Row &
  Cell & {
    rounds: number;
    signIns: number;
    /** Median over rounds of each round's CPU per sign-in, in microseconds. */
    cpuUs: number;
    systemUs: number;
    /** Percentiles of every sign-in of every round. */
    p50Ms: number;
    p99Ms: number;
    /** Median over rounds. */
    perSecond: number;
    fields: string[];
  };

/** `data` and `code`: bytes gained between heap snapshots at the first and last sample. */
export type MemoryRun = Row & {
  samples: (MemorySample & { signIns: number })[];
  data: number;
  code: number;
};

export type ImportSample = {
  name: ConnectorName;
  /** Whether connector-kit and zod were loaded first, as in Logto. */
  host: boolean;
  importMs: number;
  firstSignInMs: number;
};

export type Results = {
  cells: CellSummary[];
  memory: MemoryRun[];
  /** Sign-ins each memory process ran before its first sample. */
  memoryWarmUp: number;
  imports: ImportSample[];
  networks: NetworkResults;
  /** What routing the official to the fake adds to each of its requests. */
  rewriteCostNs: number;
  machine: Record<string, string>;
};

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export const summarise = (row: Row, cell: Cell, runs: RunResult[]): CellSummary => {
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  return {
    ...row,
    ...cell,
    rounds: runs.length,
    signIns: runs.reduce((sum, run) => sum + run.signIns, 0),
    cpuUs: median(runs.map((run) => run.cpuUs / run.signIns)),
    systemUs: median(runs.map((run) => run.cpuSystemUs / run.signIns)),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    perSecond: median(runs.map((run) => (run.signIns / run.wallMs) * 1000)),
    fields: runs.at(-1)!.fields,
  };
};

const same = (a: Row, b: Row) => a.name === b.name && a.scope === b.scope;

const findCell = (results: Results, row: Row, cell: Cell): CellSummary =>
  results.cells.find(
    (candidate) =>
      same(candidate, row) &&
      candidate.concurrency === cell.concurrency &&
      candidate.latencyMs === cell.latencyMs,
  )!;

const importsOf = (results: Results, name: ConnectorName, host: boolean) =>
  results.imports.filter((sample) => sample.name === name && sample.host === host);

const medianImportMs = (results: Results, name: ConnectorName, host: boolean) =>
  median(importsOf(results, name, host).map((sample) => sample.importMs));

/**
 * A connector is flat when the JavaScript data it keeps grows by less than this per sign-in after
 * warm-up: 40 kB over 10,000 sign-ins. The least a sign-in could leave behind, one empty object,
 * is 12 to 16 bytes. Below this, Node's own timer lists and queues, which hold whatever the last
 * requests left pending when the sample is taken, vary by up to about 10 kB. Idle connections
 * are closed before each sample, so the pool's size does not count.
 */
const flatBytesPerSignIn = 4;

/** Data retained per sign-in between the first and last memory samples (heap snapshots). */
const retainedPerSignIn = ({ samples, data }: MemoryRun): number => data / samples.at(-1)!.signIns;

/** The first fifth of the memory run (2,000 of 10,000 sign-ins) counts as warm-up. */
const memoryWarmUpShare = 0.2;

/** Least-squares slope of heapUsed over sign-ins, after warm-up, in bytes per sign-in. */
const heapSlope = ({ samples: all }: MemoryRun): number => {
  const samples = all.filter((s) => s.signIns >= all.at(-1)!.signIns * memoryWarmUpShare);
  const meanX = samples.reduce((sum, s) => sum + s.signIns, 0) / samples.length;
  const meanY = samples.reduce((sum, s) => sum + s.heapUsed, 0) / samples.length;
  const covariance = samples.reduce(
    (sum, s) => sum + (s.signIns - meanX) * (s.heapUsed - meanY),
    0,
  );
  const variance = samples.reduce((sum, s) => sum + (s.signIns - meanX) ** 2, 0);
  return variance === 0 ? 0 : covariance / variance;
};

// ---- targets ----

export type Verdict = ReturnType<typeof verdict>;

const official1: Row = { name: 'official', scope: '1' };
const ours1: Row = { name: 'ours', scope: '1' };
const ours1346: Row = { name: 'ours', scope: '1 3 4 6' };

const verdict = (target: string, measured: string, limit: string, pass: boolean) => ({
  target,
  measured,
  limit,
  pass,
});

const ratio = (target: string, value: number, reference: number, limit: number): Verdict =>
  verdict(
    target,
    `${(value / reference).toFixed(2)}x`,
    `≤ ${limit.toFixed(2)}x`,
    value / reference <= limit,
  );

export const evaluateTargets = (results: Results): Verdict[] => {
  const cpu = (row: Row, concurrency: number) =>
    findCell(results, row, { concurrency, latencyMs: 0 }).cpuUs;
  const p50 = (row: Row) => findCell(results, row, { concurrency: 1, latencyMs: 50 }).p50Ms;
  const retained = (row: Row) =>
    retainedPerSignIn(results.memory.find((memory) => same(memory, row))!);
  // Issue 11's targets (networks.ts).
  const { rows } = results.networks;
  const network = (scenario: Scenario, name: ConnectorName = 'ours') =>
    rows.find((entry) => entry.scenario === scenario && entry.name === name)!;
  const success = (entry: NetworkRow) => (entry.signIns - entry.failed) / entry.signIns;
  const lead = success(network('faults')) - success(network('faults', 'official'));
  const slowest = Math.max(network('faults').slowestMs, network('faultsAfter').slowestMs);
  const notConnectorErrors = rows
    .filter((entry) => entry.name === 'ours')
    .reduce((sum, entry) => sum + entry.notConnectorErrors, 0);
  const [proxied, direct] = [network('proxy'), network('noProxy')];
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
    ...[ours1, ours1346].map((row) =>
      verdict(
        `JavaScript data retained per sign-in after warm-up, ours at ${row.scope}`,
        `${retained(row).toFixed(2)} B`,
        `< ${flatBytesPerSignIn} B`,
        retained(row) < flatBytesPerSignIn,
      ),
    ),
    verdict(
      `Sign-ins that succeed, ours minus official: ${scenarios.faults}`,
      `${lead >= 0 ? '+' : ''}${(lead * 100).toFixed(1)} pt`,
      '≥ +10 pt',
      lead >= 0.1,
    ),
    verdict(
      'Slowest sign-in with broken answers, ours',
      `${(slowest / 1000).toFixed(2)} s`,
      '≤ 10.5 s',
      slowest <= 10_500,
    ),
    verdict(
      'Failures that are not a ConnectorError, ours, every network',
      String(notConnectorErrors),
      '0',
      notConnectorErrors === 0,
    ),
    ...(['idleClosing', 'closeAfterAnswer'] as const).map((scenario) =>
      verdict(
        `Sign-ins failed, ours: ${scenarios[scenario]}`,
        String(network(scenario).failed),
        '0',
        network(scenario).failed === 0,
      ),
    ),
    verdict(
      `Xiaomi calls through the proxy, ours: ${scenarios.proxy}`,
      `${proxied.throughProxy}/${proxied.calls}`,
      'all',
      proxied.calls! > 0 && proxied.throughProxy === proxied.calls,
    ),
    verdict(
      `Xiaomi calls through the proxy, ours: ${scenarios.noProxy}`,
      `${direct.throughProxy}/${direct.calls}`,
      'none',
      direct.calls! > 0 && direct.throughProxy === 0,
    ),
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

// ---- docs/benchmarks.md ----

const label = (row: Row) => `${connectorLabels[row.name]} (scope \`${row.scope}\`)`;
const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

const table = (header: string[], rows: string[][]): string =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');

const networkSection = ({ networks }: Results): string[] => [
  '### Real networks',
  '',
  'Both connectors at scope `1`; a failed sign-in is one that reached Logto as an error.',
  '',
  table(
    ['Network', 'Connector', 'Signed in', 'Failed, by code', 'Slowest', 'Calls via the proxy'],
    networks.rows.map((entry) => [
      scenarios[entry.scenario],
      connectorLabels[entry.name],
      `${entry.signIns - entry.failed}/${entry.signIns} (${(((entry.signIns - entry.failed) / entry.signIns) * 100).toFixed(1)}%)`,
      Object.entries(entry.failuresByCode)
        .map(([code, count]) => `${code} ${count}`)
        .join(', ') || '–',
      `${(entry.slowestMs / 1000).toFixed(2)} s`,
      entry.calls === undefined ? '' : `${entry.throughProxy}/${entry.calls}`,
    ]),
  ),
  '',
  'A sign-in right after the fake closed every idle connection, next to the one right after ' +
    `it, over HTTPS on loopback: medians of ${networks.coldStarts[0]?.samples} pairs.`,
  '',
  table(
    ['Connector', 'On new connections', 'Warm'],
    networks.coldStarts.map((entry) => [
      connectorLabels[entry.name],
      ms(entry.coldMs),
      ms(entry.warmMs),
    ]),
  ),
  '',
];

/** The generated section of docs/benchmarks.md. */
export const generated = (results: Results, verdicts: Verdict[]): string => {
  const { machine } = results;
  const rows = results.memory.map(({ name, scope }): Row => ({ name, scope }));
  const grid = [...new Set(results.cells.map((cell) => `${cell.concurrency}/${cell.latencyMs}`))];
  const memoryEvery = results.memory[0]!.samples[1]!.signIns;
  return [
    `Run of ${machine.date}, ${machine.duration}: ${machine.cpu}, ${machine.memory}, ${machine.os}, ` +
      `load average ${machine.load} at the start. Node.js ${machine.node}; ` +
      `${connectorLabels.ours} ${machine.ours} (node:http), ` +
      `${connectorLabels.official} ${machine.official} (ky ${machine.ky}, fetch), ` +
      `@logto/connector-kit ${machine.connectorKit}.`,
    '',
    '### Targets',
    '',
    'Ratios and differences to `@logto/connector-xiaomi` at scope `1`, measured in this run.',
    '',
    table(
      ['Target', 'Measured', 'Limit', ''],
      verdicts.map((verdict) => [
        verdict.target,
        verdict.measured,
        verdict.limit,
        verdict.pass ? 'pass' : '**FAIL**',
      ]),
    ),
    '',
    '### Sign-ins',
    '',
    `CPU per sign-in: the median over ${results.cells[0]!.rounds} rounds. Latency percentiles ` +
      'pool every sign-in of every round.',
    '',
    table(
      [
        'Connector',
        'Concurrency',
        'Added per response',
        'CPU per sign-in',
        'of which system',
        'p50',
        'p99',
        'Sign-ins/s',
        'Sign-ins',
      ],
      grid.flatMap((key) => {
        const [concurrency, latencyMs] = key.split('/').map(Number) as [number, number];
        return rows.map((row) => {
          const cell = findCell(results, row, { concurrency, latencyMs });
          return [
            label(row),
            String(concurrency),
            `${latencyMs} ms`,
            `${Math.round(cell.cpuUs)} µs`,
            `${Math.round(cell.systemUs)} µs`,
            ms(cell.p50Ms),
            ms(cell.p99Ms),
            cell.perSecond.toFixed(0),
            String(cell.signIns),
          ];
        });
      }),
    ),
    '',
    'What each connector returned to Logto: ' +
      rows
        .map(
          (row) =>
            `${label(row)}: ${findCell(results, row, { concurrency: 1, latencyMs: 0 })
              .fields.map((field) => `\`${field}\``)
              .join(', ')}`,
        )
        .join('; ') +
      '.',
    '',
    '### Start-up',
    '',
    `A fresh process per sample, ${importsOf(results, 'ours', true).length} per connector and ` +
      'row. "As Logto imports it": with `@logto/connector-kit` and `zod` loaded first.',
    '',
    table(
      ['Connector', 'Import', 'Median', 'Min–max', 'Ratio', 'First sign-in, median'],
      [true, false].flatMap((host) =>
        (['official', 'ours'] as const).map((name) => {
          const samples = importsOf(results, name, host);
          const imports = samples.map((sample) => sample.importMs);
          return [
            connectorLabels[name],
            host ? 'as Logto imports it' : 'alone',
            ms(median(imports)),
            `${ms(Math.min(...imports))}–${ms(Math.max(...imports))}`,
            `${(median(imports) / medianImportMs(results, 'official', host)).toFixed(2)}x`,
            ms(median(samples.map((sample) => sample.firstSignInMs))),
          ];
        }),
      ),
    ),
    '',
    '### Memory',
    '',
    `A fresh process per row, ${results.memoryWarmUp} sign-ins of warm-up, then \`heapUsed\` ` +
      `every ${memoryEvery} sign-ins; the slope over the last ` +
      `${Math.round((1 - memoryWarmUpShare) * 100)}% of the run. Retained data and compiled code: ` +
      'what heap snapshots at the first and the last sample differ by.',
    '',
    table(
      [
        'Connector',
        'Heap after warm-up',
        ...results.memory[0]!.samples.slice(1).map((sample) => `${sample.signIns / 1000}k`),
        'heapUsed slope',
        'Retained data',
        'Compiled code',
        'RSS at the end',
      ],
      results.memory.map((memory) => [
        label(memory),
        mib(memory.samples[0]!.heapUsed),
        ...memory.samples.slice(1).map((sample) => (sample.heapUsed / 1024 / 1024).toFixed(2)),
        `${heapSlope(memory).toFixed(1)} B per sign-in`,
        `${retainedPerSignIn(memory).toFixed(2)} B per sign-in`,
        `${(memory.code / 1024).toFixed(0)} KiB`,
        mib(memory.samples.at(-1)!.rss),
      ]),
    ),
    '',
    ...networkSection(results),
    `Routing the official connector to the fake adds ${results.rewriteCostNs.toFixed(0)} ns to ` +
      'each of its requests (measured in this run; see below).',
  ].join('\n');
};

const start =
  '<!-- Generated by `npm run bench`: everything down to the end marker is replaced. -->';
const end = '<!-- End of the generated section. -->';

/** Replaces the generated section of docs/benchmarks.md, formatted as prettier would. */
export const writeReport = async (root: string, section: string) => {
  const file = path.join(root, 'docs', 'benchmarks.md');
  const current = await readFile(file, 'utf8');
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from < 0 || to < from) {
    throw new Error(`${file} has lost its generated-section markers; restore them to regenerate`);
  }
  const text = `${current.slice(0, from + start.length)}\n\n${section}\n\n${current.slice(to)}`;
  const prettier = await import('prettier');
  const options = await prettier.resolveConfig(file);
  await writeFile(file, await prettier.format(text, { ...options, filepath: file }));
};
