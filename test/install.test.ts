// The package as a Logto admin installs it (README, "Install"; docs/install.md): `npm pack`, the
// real Logto CLI (`logto connector add`, `logto connector list`), then Logto's own loader reading
// packages/core/connectors, under Node 22 (what Logto runs on) and the Node running this suite.
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { node22 } from '../scripts/node22.mjs';
import {
  createInstance,
  loadConnectors,
  logto,
  packFromSource,
  repoRoot,
  run,
  type LoadReport,
  type LoadedFactory,
  type PackResult,
  type RunResult,
} from './install/harness.ts';

const packageJson = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
};
const officialConnector = path.join(repoRoot, 'node_modules/@logto/connector-xiaomi');
const ourId = 'xiaomi-universal-plus';
const officialId = 'xiaomi-universal';
const config = { clientId: '2882303761520000001', clientSecret: 'app-secret', scope: '1 3' };

/** What Logto core's packages/core/node_modules offers that the official connector needs. */
const logtoCoreModules = ['@logto/connector-kit', 'zod', 'ky', '@silverhand/essentials'];
/** The least a Logto host offers a connector: what this package may rely on. */
const bareHostModules = ['@logto/connector-kit', 'zod'];

type NodeRun = {
  add: RunResult;
  addOfficial: RunResult;
  list: RunResult;
  /** CLI install beside the official connector, host modules as in Logto core. */
  beside: LoadReport;
  /** Copied into packages/core/connectors by hand, host offering only connector-kit and zod. */
  bare: LoadReport;
  installed: string;
};

/** Node 22 (what Logto runs on) and the Node running this suite, when it is another. */
const nodes = [...new Set([await node22(), process.execPath])].map((binary) => ({
  binary,
  version: execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim(),
}));

let work: string;
let packed: PackResult;
const runs = new Map<string, NodeRun>();

const installAndLoad = async (node: string): Promise<NodeRun> => {
  const root = await mkdtemp(path.join(work, 'node-'));

  // README, "Install": `npx @logto/cli connector add <tarball> --path <instance>`.
  const logtoInstance = await createInstance(path.join(root, 'logto'), logtoCoreModules);
  const add = await logto(node, ['connector', 'add', packed.tarball, '--path', logtoInstance.root]);
  const addOfficial = await logto(node, [
    'connector',
    'add',
    officialConnector,
    '--path',
    logtoInstance.root,
  ]);
  const list = await logto(node, ['connector', 'list', '--path', logtoInstance.root]);
  const beside = await loadConnectors(node, logtoInstance.root, {
    [ourId]: config,
    [officialId]: config,
  });

  // docs/install.md, "Copy into packages/core/connectors" (the Docker route): unpack, then move
  // the tarball's package/ directory to packages/core/connectors/connector-xiaomi.
  const bareInstance = await createInstance(path.join(root, 'bare'), bareHostModules);
  const unpacked = path.join(root, 'unpacked');
  await mkdir(unpacked);
  const untar = await run('tar', ['-xzf', packed.tarball, '-C', unpacked], { cwd: root });
  if (untar.code !== 0) {
    throw new Error(`tar failed: ${untar.stderr}`);
  }
  await mkdir(bareInstance.connectors, { recursive: true });
  await rename(
    path.join(unpacked, 'package'),
    path.join(bareInstance.connectors, 'connector-xiaomi'),
  );
  const bare = await loadConnectors(node, bareInstance.root, { [ourId]: config });

  return {
    add,
    addOfficial,
    list,
    beside,
    bare,
    installed: path.join(logtoInstance.connectors, 'connector-xiaomi'),
  };
};

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'connector-xiaomi-install-'));
  packed = await packFromSource(work);
  // Both Node versions at once: each run is mostly waiting on child processes.
  const results = await Promise.all(nodes.map(async ({ binary }) => installAndLoad(binary)));
  nodes.forEach(({ binary }, index) => runs.set(binary, results[index]!));
}, 180_000);

afterAll(async () => {
  if (work) {
    await rm(work, { recursive: true, force: true });
  }
});

describe('npm pack', () => {
  it('names the tarball connector-xiaomi-<version>.tgz, a file name `logto connector add` accepts', () => {
    expect(packed.filename).toBe(`${packageJson.name}-${packageJson.version}.tgz`);
    expect(packed.filename.startsWith('connector-')).toBe(true);
  });

  it('packs lib/, the READMEs, both logos, docs/ and package.json, and nothing for development only', () => {
    const allowed = [
      /^lib\/index\.js$/,
      /^lib\/chunks\/[\w-]+\.js$/,
      /^README(\.[\w-]+)?\.md$/,
      /^logo\.svg$/,
      /^logo-dark\.svg$/,
      /^docs\/(?!benchmarks\/)[\w./-]+$/,
      /^package\.json$/,
      /^LICENSE$/,
    ];
    expect(packed.files.filter((file) => !allowed.some((pattern) => pattern.test(file)))).toEqual(
      [],
    );
    for (const required of [
      'lib/index.js',
      'README.md',
      'logo.svg',
      'logo-dark.svg',
      'docs/install.md',
      'package.json',
      'LICENSE',
    ]) {
      expect(packed.files).toContain(required);
    }
  });

  it('the README states the packed size', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const stated = /about (\d+) kB packed/.exec(readme);
    expect(stated, 'README.md: "about N kB packed"').not.toBeNull();
    const statedBytes = Number(stated![1]) * 1000;
    expect(Math.abs(statedBytes - packed.size) / packed.size).toBeLessThan(0.2);
  });

  it('depends only on what Logto provides: @logto/connector-kit 5 and zod 3.24', () => {
    expect(Object.keys(packageJson.dependencies).sort()).toEqual(['@logto/connector-kit', 'zod']);
    expect(packageJson.dependencies['@logto/connector-kit']).toBe('^5.0.0');
  });

  it('lib/ imports nothing but @logto/connector-kit, zod and Node built-ins', async () => {
    const unpacked = path.join(work, 'unpacked');
    await mkdir(unpacked, { recursive: true });
    const untar = await run('tar', ['-xzf', packed.tarball, '-C', unpacked], { cwd: work });
    expect(untar.code, untar.stderr).toBe(0);
    const entryPoints = packed.files
      .filter((file) => file.startsWith('lib/') && file.endsWith('.js'))
      .map((file) => path.join(unpacked, 'package', file));
    const { metafile } = await build({
      entryPoints,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outdir: path.join(unpacked, 'out'),
      logLevel: 'silent',
    });
    const builtins = new Set(builtinModules);
    const imported = new Set(
      Object.values(metafile.inputs)
        .flatMap(({ imports }) => imports)
        .filter(({ external }) => external)
        .map(({ path: specifier }) => specifier)
        .filter((specifier) => !specifier.startsWith('node:') && !builtins.has(specifier)),
    );
    expect([...imported].sort()).toEqual(['@logto/connector-kit', 'zod']);
  });
});

const ours = (report: LoadReport): LoadedFactory => {
  const factory = report.factories.find(({ id }) => id === ourId);
  expect(factory, `${ourId} loaded; Logto printed: ${report.printed.join('\n')}`).toBeDefined();
  return factory!;
};

const svgDataUrl = /^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/;

it('runs under Node 22, as Logto does, and under the Node running the tests', () => {
  expect(nodes.map(({ version }) => version)).toContain(process.version);
  expect(nodes.some(({ version }) => version.startsWith('v22.'))).toBe(true);
});

describe.each(nodes)('installed into Logto, on Node $version', ({ binary }) => {
  const current = () => {
    const entry = runs.get(binary);
    expect(entry, 'the install ran').toBeDefined();
    return entry!;
  };

  it('`logto connector add <tarball> --path <instance>` unpacks the package into packages/core/connectors/connector-xiaomi', async () => {
    const entry = current();
    expect(entry.add.code).toBe(0);
    // The CLI exits 0 even when a package fails; only its output tells.
    expect(entry.add.stdout).toContain(`Added ${packageJson.name} v${packageJson.version}`);
    expect(entry.add.stdout + entry.add.stderr).not.toMatch(/Failed to add|^error\b/m);
    const installed = JSON.parse(
      await readFile(path.join(entry.installed, 'package.json'), 'utf8'),
    ) as { name: string };
    expect(installed.name).toBe(packageJson.name);
  });

  it('installs beside the official @logto/connector-xiaomi, and `logto connector list` shows both', () => {
    const entry = current();
    expect(entry.addOfficial.stdout).toContain('Added @logto/connector-xiaomi');
    expect(entry.list.code).toBe(0);
    expect(entry.list.stdout).toMatch(/OFFICIAL\s+@logto\/connector-xiaomi/);
    expect(entry.list.stdout).toMatch(/3RD-PARTY\s+connector-xiaomi/);
  });

  it('Logto loads both, with distinct factory ids and the same target, so users carry over', () => {
    const entry = current();
    const { beside } = entry;
    expect(beside.printed.filter((line) => line.includes('skip'))).toEqual([]);
    expect(beside.factories.map(({ id }) => id).sort()).toEqual([officialId, ourId]);
    expect(beside.factories.map(({ target }) => target)).toEqual(['xiaomi', 'xiaomi']);
    expect(ours(beside)).toMatchObject({ platform: 'Universal', type: 'Social' });
  });

  it('loads with nothing in packages/core/node_modules but @logto/connector-kit and zod', () => {
    const entry = current();
    const factory = ours(entry.bare);
    expect(factory.resolvable).toEqual({
      '@logto/connector-kit': true,
      zod: true,
      got: false,
      ky: false,
      '@silverhand/essentials': false,
      'snakecase-keys': false,
    });
  });

  it('inlines both logos as SVG data URLs and reads README.md as the setup guide', async () => {
    const entry = current();
    const readme = await readFile(path.join(entry.installed, 'README.md'), 'utf8');
    for (const report of [entry.beside, entry.bare]) {
      const factory = ours(report);
      expect(factory.logo).toMatch(svgDataUrl);
      expect(factory.logoDark).toMatch(svgDataUrl);
      expect(factory.readme).toBe(readme);
    }
  });

  it('has metadata that passes connector-kit’s connectorMetadataGuard and a form that matches the config guard', () => {
    const entry = current();
    for (const report of [entry.beside, entry.bare]) {
      expect(ours(report).metadataGuard).toBe('valid');
      expect(ours(report).formItemProblems).toEqual([]);
    }
  });

  it('builds the authorization URL through the loaded factory', () => {
    const entry = current();
    for (const report of [entry.beside, entry.bare]) {
      const { calls } = ours(report);
      const url = new URL(String(calls?.authorization.resolved));
      expect(url.origin + url.pathname).toBe('https://account.xiaomi.com/oauth2/authorize');
      expect(url.searchParams.get('client_id')).toBe(config.clientId);
      expect(url.searchParams.get('state')).toBe('state-from-logto');
      expect(url.searchParams.get('redirect_uri')).toBe(
        'https://auth.example.com/callback/connector-row-id',
      );
    }
  });

  it('rejects failing calls with the host’s own ConnectorError, carrying an errorDescription', () => {
    const entry = current();
    for (const report of [entry.beside, entry.bare]) {
      expect(report.cliErrorIsHostError).toBe(true);
      const failures = ours(report).calls!.failures;
      expect(failures.userDenied.rejected).toMatchObject({
        isHostConnectorError: true,
        code: 'authorization_failed',
      });
      expect(failures.invalidConfig.rejected).toMatchObject({
        isHostConnectorError: true,
        code: 'invalid_config',
      });
      expect(failures.networkDown.rejected).toMatchObject({ isHostConnectorError: true });
      for (const failure of Object.values(failures)) {
        expect(typeof failure.rejected?.data?.errorDescription).toBe('string');
        // An HTTP client's own message names the URL; end users must not see it.
        expect(failure.rejected?.message).not.toContain('https://');
      }
    }
  });

  it('adds under 64 kB of its own code to Logto’s start, and nothing more at the first sign-in', () => {
    const entry = current();
    const factory = ours(entry.bare);
    const bytes = (files: string[]) =>
      files.reduce((sum, file) => sum + (factory.libFiles[file] ?? 0), 0);
    const atStart = factory.loadedAtStart;
    expect(atStart).toContain('lib/index.js');
    expect(bytes(atStart)).toBeLessThan(64 * 1024);
    expect(factory.loadedAtAuthorization).toEqual(atStart);
    expect(factory.loadedAtSignIn).toEqual(atStart);
  });
});
