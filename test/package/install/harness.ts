// What the install test does on the machine: pack the package as the README says, lay out a Logto
// instance, run the real Logto CLI and loader in child processes under a chosen Node binary.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

type RunResult = { code: number; stdout: string; stderr: string };

/** Runs a command to its end; never rejects, so a test can assert on the exit code and output. */
const run = async (
  command: string,
  args: string[],
  options: { cwd: string; node?: string },
): Promise<RunResult> => {
  // The chosen Node first on PATH, so `npx`, `npm` and the `npm pack` that the Logto CLI spawns run
  // on it too. NODE_PATH would let modules resolve from outside the instance, NODE_OPTIONS could
  // preload anything: Logto has neither.
  const inherited = { ...process.env };
  delete inherited.NODE_PATH;
  delete inherited.NODE_OPTIONS;
  const env = {
    ...inherited,
    PATH: [options.node && path.dirname(options.node), process.env.PATH]
      .filter(Boolean)
      .join(path.delimiter),
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { cwd: options.cwd, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
};

export const mustRun = async (...parameters: Parameters<typeof run>) => {
  const result = await run(...parameters);
  if (result.code !== 0) {
    throw new Error(
      `${parameters[0]} ${parameters[1].join(' ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
};

type NpmPackJson = { filename: string; size: number; files: { path: string }[] };
export type PackResult = Omit<NpmPackJson, 'files'> & { tarball: string; files: string[] };

/**
 * `npm pack` as the README tells an admin to run it, in a copy of this working tree (its files as
 * git sees them, with node_modules linked in place of `npm ci`), so packing, whose `prepack` builds
 * lib/, never rewrites the lib/ that other tests are reading.
 */
export const packFromSource = async (workDirectory: string): Promise<PackResult> => {
  const source = path.join(workDirectory, 'source');
  const listed = await mustRun(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: repoRoot },
  );
  // Listed but deleted in the working tree: not packed.
  const present = (file: string) => file !== '' && existsSync(path.join(repoRoot, file));
  for (const file of listed.stdout.split('\0').filter(present)) {
    await mkdir(path.dirname(path.join(source, file)), { recursive: true });
    await copyFile(path.join(repoRoot, file), path.join(source, file));
  }
  await symlink(path.join(repoRoot, 'node_modules'), path.join(source, 'node_modules'), 'dir');

  const { stdout } = await mustRun('npm', ['pack', '--json', '--pack-destination', workDirectory], {
    cwd: source,
  });
  // npm prints the prepack script's output before the JSON.
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as NpmPackJson[];
  if (!packed) {
    throw new Error(`npm pack printed no result:\n${stdout}`);
  }
  const files = packed.files.map(({ path: file }) => file).sort();
  return { ...packed, tarball: path.join(workDirectory, packed.filename), files };
};

/**
 * The smallest directory the Logto CLI accepts as an instance (packages/core/package.json named
 * `@logto/core`) and Logto core's view of modules: packages/core/node_modules holds only `modules`
 * (package name to the directory it links to). Nothing above the instance offers modules (it
 * lives in the system's temporary directory).
 */
export const createInstance = async (root: string, modules: Record<string, string>) => {
  const core = path.join(root, 'packages', 'core');
  await mkdir(core, { recursive: true });
  await writeFile(
    path.join(core, 'package.json'),
    JSON.stringify({ name: '@logto/core', private: true, type: 'module' }, undefined, 2),
  );
  await linkModules(core, modules);
  return { root, connectors: path.join(core, 'connectors') };
};

/** Gives `directory` a node_modules whose entries link to the given package directories. */
export const linkModules = async (directory: string, modules: Record<string, string>) => {
  for (const [name, target] of Object.entries(modules)) {
    const link = path.join(directory, 'node_modules', name);
    await mkdir(path.dirname(link), { recursive: true });
    await symlink(target, link, 'dir');
  }
};

/**
 * The Logto CLI of one release, as the README runs it (`npx @logto/cli ...` runs this same
 * `bin/logto.js`), under the chosen Node.
 */
export const logto = async (node: string, cli: string, args: string[]) =>
  run(node, [path.join(cli, 'bin', 'logto.js'), ...args], { cwd: repoRoot, node });

type ConnectorCall = {
  resolved?: unknown;
  rejected?: {
    isHostConnectorError: boolean;
    code?: string;
    data?: Record<string, unknown>;
    message?: string;
  };
};

type LoadedFactory = {
  directory: string;
  id: string;
  target: string;
  platform: string | null;
  type: string;
  logo: string;
  logoDark: string | null;
  readme: string;
  metadataGuard: 'valid' | unknown[];
  formItemProblems: string[];
  resolvable: string[];
  loadedAtStart: string[];
  bytesAtStart: number;
  loadedAtAuthorization?: string[];
  loadedAtSignIn?: string[];
  calls?: {
    authorization: ConnectorCall;
    failures: Record<'userDenied' | 'networkDown' | 'invalidConfig', ConnectorCall>;
  };
};

export type LoadReport = {
  hostKitVersion: string;
  cliErrorIsHostError: boolean;
  printed: string[];
  factories: LoadedFactory[];
};

let loads = 0;

/**
 * Runs load-connectors.mjs under `node` against an instance, with the loader of the CLI in `cli`;
 * `configs` maps factory id to config.
 */
export const loadConnectors = async (
  node: string,
  cli: string,
  instanceRoot: string,
  configs: Record<string, unknown>,
): Promise<LoadReport> => {
  loads += 1;
  const out = path.join(instanceRoot, `load-report-${loads}.json`);
  await mustRun(
    node,
    [
      path.join(repoRoot, 'test/package/install/load-connectors.mjs'),
      JSON.stringify({ cli, instance: instanceRoot, configs, out }),
    ],
    { cwd: instanceRoot, node },
  );
  return JSON.parse(await readFile(out, 'utf8')) as LoadReport;
};
