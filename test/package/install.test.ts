// The package as a Logto admin installs it (README, "Install"; docs/install.md): `npm pack`, once
// per run (its prepack builds lib/ in a copy of the tree), then with that one tarball each
// supported Logto release's own CLI (`logto connector add`, `list`, `remove`, `link`) and
// connector loader, with that release's connector-kit and zod, reading packages/core/connectors.
// Every release runs under Node 22 (what Logto runs on); the newest also under the Node running
// this suite. The releases are fetched from the npm registry into .cache/ on first use
// (scripts/logto-releases.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { cp, lstat, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  hostZod,
  logtoRelease,
  releasesToTest,
  supportedReleases,
} from '../../scripts/logto-releases.mjs';
import type { LogtoRelease } from '../../scripts/logto-releases.mjs';
import { node22 } from '../../scripts/node22.mjs';
import {
  createInstance,
  linkModules,
  loadConnectors,
  logto,
  mustRun,
  packFromSource,
  repoRoot,
  type LoadReport,
  type PackResult,
} from './install/harness.ts';
import { headingAnchors, isAbsolute, markdownLinks } from './markdown.ts';

type PackageJson = { name: string; version: string; dependencies: Record<string, string> };
const readPackageJson = async (directory: string) =>
  JSON.parse(await readFile(path.join(directory, 'package.json'), 'utf8')) as PackageJson;

const packageJson = await readPackageJson(repoRoot);
const officialConnector = path.join(repoRoot, 'node_modules/@logto/connector-xiaomi');
const officialPackage = await readPackageJson(officialConnector);
const ourId = 'xiaomi-universal-plus';
const officialId = 'xiaomi-universal';
const config = { clientId: '2882303761520000001', clientSecret: 'app-secret', scope: '1 3' };

const releases = await Promise.all(releasesToTest().map(logtoRelease));
const newest = releases.at(-1)!;
const node22Binary = await node22();
const node22Version = execFileSync(node22Binary, ['--version'], { encoding: 'utf8' }).trim();
const target = (release: LogtoRelease, binary: string, nodeVersion: string) => ({
  release,
  binary,
  nodeVersion,
  name: `Logto ${release.logto}, ${nodeVersion}`,
});
type Target = ReturnType<typeof target>;
/** Every release on Node 22, as Logto runs; the newest also on the Node running this suite. */
const targets = [
  ...releases.map((release) => target(release, node22Binary, node22Version)),
  ...(node22Binary === process.execPath ? [] : [target(newest, process.execPath, process.version)]),
];

const work = await mkdtemp(path.join(os.tmpdir(), 'connector-xiaomi-install-'));
const unpacked = path.join(work, 'unpacked');
let packed: PackResult;

const installAndLoad = async (target: Target) => {
  const { release, binary } = target;
  const root = await mkdtemp(path.join(work, 'logto-'));
  const hostKit = {
    '@logto/connector-kit': path.join(release.nodeModules, '@logto/connector-kit'),
    zod: path.join(release.nodeModules, 'zod'),
  };
  // Logto core's node_modules also offers what the built-in connector imports.
  const coreModules = {
    ...hostKit,
    ky: path.join(repoRoot, 'node_modules/ky'),
    '@silverhand/essentials': path.join(repoRoot, 'node_modules/@silverhand/essentials'),
  };
  const load = (root: string, configs: Record<string, typeof config>) =>
    loadConnectors(binary, release.cli, root, configs);

  // Logto's Docker image: built-in connectors live in packages/connectors (each with its own
  // node_modules, linked to the same host copies) and `logto connector link` links them into
  // packages/core/connectors as @logto-connector-<name>.
  const instance = await createInstance(path.join(root, 'logto'), coreModules);
  const cli = (...args: string[]) => logto(binary, release.cli, [...args, '--path', instance.root]);
  const officialSource = path.join(instance.root, 'packages/connectors/connector-xiaomi');
  await cp(officialConnector, officialSource, { recursive: true });
  await linkModules(officialSource, coreModules);
  const link = await cli('connector', 'link');

  // README, "Install": `npx @logto/cli connector add <tarball> --path <instance>`.
  const add = await cli('connector', 'add', packed.tarball);
  const list = await cli('connector', 'list');
  const beside = await load(instance.root, { [ourId]: config, [officialId]: config });

  // docs/install.md, "Replace Logto's built-in Xiaomi connector".
  const remove = await cli('connector', 'remove', officialPackage.name);
  const listAfterRemove = await cli('connector', 'list');
  const replaced = await load(instance.root, { [ourId]: config });

  // docs/install.md, "Copy into packages/core/connectors" (the Docker route): the tarball's
  // package/ directory, unpacked once for the run, as packages/core/connectors/connector-xiaomi.
  const bareInstance = await createInstance(path.join(root, 'bare'), hostKit);
  const bareCopy = path.join(bareInstance.connectors, 'connector-xiaomi');
  await cp(path.join(unpacked, 'package'), bareCopy, { recursive: true });
  const bare = await load(bareInstance.root, { [ourId]: config });

  return {
    add,
    link,
    list,
    remove,
    listAfterRemove,
    beside,
    replaced,
    bare,
    installed: path.join(instance.connectors, 'connector-xiaomi'),
    officialLink: path.join(instance.connectors, '@logto-connector-xiaomi'),
    officialSource,
  };
};
const runs = new Map<Target, Awaited<ReturnType<typeof installAndLoad>>>();

beforeAll(async () => {
  packed = await packFromSource(work);
  await mkdir(unpacked);
  await mustRun('tar', ['-xzf', packed.tarball, '-C', unpacked], { cwd: work });
  // All at once: each run is mostly waiting on child processes.
  const results = await Promise.all(targets.map(installAndLoad));
  targets.forEach((target, index) => runs.set(target, results[index]!));
}, 300_000);

afterAll(() => rm(work, { recursive: true, force: true }));

/** A packed file, as the admin's Logto reads it. */
const packedText = (file: string) => readFile(path.join(unpacked, 'package', file), 'utf8');

describe('npm pack', () => {
  it('names the tarball connector-xiaomi-<version>.tgz, a file name `logto connector add` accepts', () => {
    expect(packed.filename).toBe(`${packageJson.name}-${packageJson.version}.tgz`);
    expect(packed.filename.startsWith('connector-')).toBe(true);
  });

  it('packs lib/ (the connector and the self-check), the READMEs, the changelog, both logos, docs/ and package.json, and nothing for development only', () => {
    const required = [
      'lib/index.js',
      'lib/check.js',
      'README.md',
      'CHANGELOG.md',
      'logo.svg',
      'logo-dark.svg',
      'docs/install.md',
      'package.json',
      'LICENSE',
    ];
    // Beside those, only the READMEs in other languages and the other docs but the benchmarks.
    const alsoAllowed = /^(README\.[\w-]+|docs\/(?!benchmarks)[\w./-]+)\.md$/;
    expect(
      packed.files.filter((file) => !required.includes(file) && !alsoAllowed.test(file)),
    ).toEqual([]);
    expect(packed.files).toEqual(expect.arrayContaining(required));
  });

  it('the README states the packed size', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const stated = /about (\d+) kB packed/.exec(readme);
    expect(stated, 'README.md: "about N kB packed"').not.toBeNull();
    const statedBytes = Number(stated![1]) * 1000;
    expect(Math.abs(statedBytes - packed.size) / packed.size).toBeLessThan(0.2);
  });

  it('depends only on what Logto provides: @logto/connector-kit (4.7 and later, or 5) and zod 3.24', () => {
    expect(Object.keys(packageJson.dependencies).sort()).toEqual(['@logto/connector-kit', 'zod']);
    // No wider than the tests prove: 4.7.0 is the oldest connector-kit a tested release ships.
    expect(packageJson.dependencies['@logto/connector-kit']).toBe('^4.7.0 || ^5.0.0');
  });

  it('lib/ imports nothing but @logto/connector-kit, zod and Node built-ins', async () => {
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
    const imported = Object.values(metafile.inputs)
      .flatMap(({ imports }) => imports)
      .filter(({ external }) => external)
      .map(({ path: specifier }) => specifier)
      .filter((specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier));
    expect([...new Set(imported)].sort()).toEqual(['@logto/connector-kit', 'zod']);
  });

  it('every relative link in every packed markdown file leads to a packed file (and heading)', async () => {
    const broken: string[] = [];
    for (const file of packed.files.filter((name) => name.endsWith('.md'))) {
      for (const { target, line } of markdownLinks(await packedText(file))) {
        if (isAbsolute(target)) {
          continue;
        }
        const [linked = '', anchor] = target.split('#');
        const resolved = linked === '' ? file : path.posix.join(path.posix.dirname(file), linked);
        if (!packed.files.includes(resolved)) {
          broken.push(`${file}:${line}: ${target} (no ${resolved} in the tarball)`);
        } else if (anchor && resolved.endsWith('.md')) {
          if (!headingAnchors(await packedText(resolved)).has(anchor)) {
            broken.push(`${file}:${line}: ${target} (no heading #${anchor} in ${resolved})`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

const ours = (report: LoadReport) => {
  const factory = report.factories.find(({ id }) => id === ourId);
  expect(factory, `${ourId} loaded; Logto printed: ${report.printed.join('\n')}`).toBeDefined();
  return factory!;
};

const svgDataUrl = /^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/;

it('tests every supported Logto release on Node 22, as Logto runs, and the newest on the Node running the tests', () => {
  const onNode22 = targets.filter(({ nodeVersion }) => nodeVersion.startsWith('v22.'));
  expect(onNode22.map(({ release }) => release.logto)).toEqual(releases.map(({ logto }) => logto));
  expect(targets.some(({ nodeVersion }) => nodeVersion === process.version)).toBe(true);
});

describe.each(releases)('Logto $logto’s own CLI', (release) => {
  it(`names connector-kit ${release.connectorKit} as its own, and zod ${hostZod}`, async () => {
    const cliPackage = await readPackageJson(release.cli);
    expect(cliPackage.version).toBe(release.logto);
    expect(cliPackage.dependencies['@logto/connector-kit']).toBe(`^${release.connectorKit}`);
    expect(cliPackage.dependencies.zod).toBe(hostZod);
  });
});

describe.each(targets)('installed into $name', (target) => {
  const current = () => runs.get(target)!;

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

  it('`logto connector list` shows it under 3RD-PARTY, beside the built-in one under OFFICIAL', () => {
    const entry = current();
    expect(entry.link.code, entry.link.stderr).toBe(0);
    expect(entry.list.code).toBe(0);
    expect(entry.list.stdout).toMatch(/OFFICIAL\s+@logto\/connector-xiaomi/);
    expect(entry.list.stdout).toMatch(/3RD-PARTY\s+connector-xiaomi/);
  });

  it('the loader accepts its connector-kit range and loads it with the release’s connector-kit', () => {
    const entry = current();
    for (const report of [entry.beside, entry.replaced, entry.bare]) {
      expect(report.hostKitVersion).toBe(target.release.connectorKit);
      expect(report.printed.filter((line) => line.includes(` ${packageJson.name} `))).toEqual([]);
      expect(ours(report)).toMatchObject({ platform: 'Universal', type: 'Social' });
    }
  });

  it('loads with nothing in packages/core/node_modules but @logto/connector-kit and zod', () => {
    const factory = ours(current().bare);
    expect(factory.resolvable).toEqual(['@logto/connector-kit', 'zod']);
  });

  it('inlines both logos as SVG data URLs and reads docs/console-guide.md as the setup guide', async () => {
    const entry = current();
    const guide = await readFile(path.join(entry.installed, 'docs/console-guide.md'), 'utf8');
    for (const report of [entry.beside, entry.bare]) {
      const factory = ours(report);
      expect(factory.logo).toMatch(svgDataUrl);
      expect(factory.logoDark).toMatch(svgDataUrl);
      expect(factory.readme).toBe(guide);
    }
  });

  it('has metadata that passes the release’s connectorMetadataGuard and a form that matches the config guard', () => {
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
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        client_id: config.clientId,
        state: 'state-from-logto',
        redirect_uri: 'https://auth.example.com/callback/connector-row-id',
      });
    }
  });

  it('rejects failing calls with the host’s own ConnectorError, carrying an errorDescription', () => {
    const entry = current();
    for (const report of [entry.beside, entry.bare]) {
      expect(report.cliErrorIsHostError).toBe(true);
      const failures = ours(report).calls!.failures;
      expect(failures).toMatchObject({
        userDenied: { rejected: { isHostConnectorError: true, code: 'authorization_failed' } },
        invalidConfig: { rejected: { isHostConnectorError: true, code: 'invalid_config' } },
        networkDown: { rejected: { isHostConnectorError: true } },
      });
      for (const failure of Object.values(failures)) {
        expect(typeof failure.rejected?.data?.errorDescription).toBe('string');
        // An HTTP client's own message names the URL; end users must not see it.
        expect(failure.rejected?.message).not.toContain('https://');
      }
    }
  });

  it('adds under 64 kB of its own code to Logto’s start, and nothing more at the first sign-in', () => {
    const factory = ours(current().bare);
    const atStart = factory.loadedAtStart;
    expect(atStart).toContain('lib/index.js');
    expect(factory.bytesAtStart).toBeLessThan(64 * 1024);
    expect(factory.loadedAtAuthorization).toEqual(atStart);
    expect(factory.loadedAtSignIn).toEqual(atStart);
  });

  it('`logto connector remove @logto/connector-xiaomi` deletes only the built-in connector’s link, after which Logto loads only this one', async () => {
    const entry = current();
    expect(entry.remove.code, entry.remove.stderr).toBe(0);
    expect(entry.remove.stdout).toContain('Removed 1 connectors');
    expect(existsSync(entry.officialLink)).toBe(false);
    // The image's copy in packages/connectors stays; a new `connector link` would bring it back.
    expect((await lstat(entry.officialSource)).isDirectory()).toBe(true);
    expect(entry.listAfterRemove.stdout).not.toMatch(/OFFICIAL/);
    expect(entry.listAfterRemove.stdout).toMatch(/3RD-PARTY\s+connector-xiaomi/);
    expect(entry.replaced.factories.map(({ id }) => id)).toEqual([ourId]);
    expect(entry.replaced.printed).toEqual([]);
  });
});

// Where Logto's built-in connector (@logto/connector-xiaomi) loads too: the release's
// connector-kit satisfies its range, by the semver the release's loader checks it with (the
// built-in copy an older image ships is older as well).
const withBuiltIn = targets.filter(({ release }) => {
  const { satisfies } = createRequire(path.join(release.cli, 'package.json'))('semver') as {
    satisfies: (version: string, range: string) => boolean;
  };
  return satisfies(release.connectorKit, officialPackage.dependencies['@logto/connector-kit']!);
});

describe.each(withBuiltIn)('beside Logto’s built-in Xiaomi connector, in $name', (target) => {
  const beside = () => runs.get(target)!.beside;

  it('Logto loads both, with distinct factory ids and the same target, so users carry over', () => {
    expect(beside().printed.filter((line) => line.includes('skip'))).toEqual([]);
    expect(beside().factories.map(({ id, target: key }) => [id, key])).toEqual([
      [officialId, 'xiaomi'],
      [ourId, 'xiaomi'],
    ]);
  });

  it('Logto lists the built-in one first, so the console’s single Xiaomi card shows its name and description, and its first “Universal” radio button is the built-in connector', () => {
    // Both are Universal and share the target `xiaomi`: the console groups them into one card
    // made from the first factory (packages/console/src/pages/Connectors/utils.ts,
    // getConnectorGroups) with one radio button per factory, in this order, each labelled by
    // platform (packages/console/src/components/CreateConnectorForm/PlatformSelector). The
    // order is the sorted directory listing: "@logto-connector-xiaomi" before "connector-xiaomi".
    expect(beside().factories).toMatchObject([
      { directory: '@logto-connector-xiaomi', id: officialId, platform: 'Universal' },
      { directory: 'connector-xiaomi', id: ourId, platform: 'Universal' },
    ]);
  });
});

const newestSupported = supportedReleases.at(-1)!.logto;
it.runIf(newest.logto === newestSupported)(
  `runs Logto's built-in Xiaomi connector beside this one on Logto ${newestSupported}`,
  () => {
    expect(withBuiltIn.map(({ release }) => release.logto)).toContain(newestSupported);
  },
);
