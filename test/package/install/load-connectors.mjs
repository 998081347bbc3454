// Loads a Logto instance's connectors directory the way Logto core does at start, then drives each
// connector the way sign-in does, and writes what it saw as JSON. Runs in its own Node process
// (Node 20 or 22) so the module cache, the host modules and the Node version are those of a fresh
// Logto.
//
//   node load-connectors.mjs '{"cli": "<@logto/cli dir>", "instance": "...", "configs": {"<factory id>": {...}}, "out": "..."}'
//
// The loader is the published @logto/cli's of the release under test: `getConnectorPackagesFromDirectory`,
// `loadConnectorFactories` and `buildRawConnector` (Logto core loads connectors with the same
// code), which import that release's `@logto/connector-kit`. The instance's packages/core/node_modules
// links to that same copy, so "the host's ConnectorError" below is both what the connector
// resolves and what the loader uses. On top of the CLI's loader, Logto core refuses duplicate
// factory ids, checked here too; form items that disagree with the config guard were refused by an
// earlier core only, and are held here to that stricter bar (see form-items.mjs).
import dns from 'node:dns';
import { stat, writeFile } from 'node:fs/promises';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

import { formItemProblems } from './form-items.mjs';

const { cli, instance, configs, out } = JSON.parse(process.argv[2]);
const coreDirectory = path.join(instance, 'packages', 'core');
const connectorsDirectory = path.join(coreDirectory, 'connectors');

// No request leaves this machine: every host name fails to resolve, as on a Logto whose network
// is down. Sign-in calls then fail at the HTTP client, after it has been imported.
const notFound = (hostname) =>
  Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
dns.lookup = (hostname, options, callback) =>
  process.nextTick(typeof options === 'function' ? options : callback, notFound(hostname));
dns.promises.lookup = async (hostname) => {
  throw notFound(hostname);
};

const loaded = [];
const { port1, port2 } = new MessageChannel();
const flushed = [];
port1.on('message', (message) => {
  if (message === 'flushed') {
    flushed.shift()?.();
  } else {
    loaded.push(fileURLToPath(message));
  }
});
register('./module-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
/** The files loaded so far (hooks report asynchronously; a round trip collects them all). */
const loadedFiles = async () => {
  const done = new Promise((resolve) => flushed.push(resolve));
  port1.postMessage('flush');
  await done;
  return [...loaded];
};

// The host's modules as Logto core's own code imports them: from a module in packages/core, so
// that Node picks the same files (ESM builds included) as for the connectors.
const hostImports = path.join(coreDirectory, 'host-imports.mjs');
await writeFile(
  hostImports,
  "export * as kit from '@logto/connector-kit';\nexport * as zod from 'zod';\n",
);
const {
  kit: { ConnectorError, connectorMetadataGuard },
  zod,
} = await import(pathToFileURL(hostImports).href);
const hostKitVersion = createRequire(hostImports)('@logto/connector-kit/package.json').version;

const cliModule = (file) => import(pathToFileURL(path.join(cli, 'lib', file)).href);
const { getConnectorPackagesFromDirectory } = await cliModule('utils.js');
const { loadConnectorFactories, buildRawConnector, notImplemented } =
  await cliModule('connector/index.js');

const settle = async (run) => {
  try {
    return { resolved: await run() };
  } catch (error) {
    const { code, data, message } = error ?? {};
    return {
      rejected: { isHostConnectorError: error instanceof ConnectorError, code, data, message },
    };
  }
};

const relativeLoads = (files, packagePath) =>
  files
    .filter((file) => file.startsWith(path.join(packagePath, 'lib') + path.sep))
    .map((file) => path.relative(packagePath, file));

const sizeOf = async (files, packagePath) => {
  const sizes = await Promise.all(files.map((file) => stat(path.join(packagePath, file))));
  return sizes.reduce((sum, { size }) => sum + size, 0);
};

/** What sign-in does with a connector: steps 1 to 3 of logto-host.md, each made to fail once. */
const exercise = async (factory, config) => {
  const session = {};
  const state = 'state-from-logto';
  const redirectUri = 'https://auth.example.com/callback/connector-row-id';
  // What Logto's sign-in experience passes to getAuthorizationUri.
  const authorizationPayload = {
    state,
    redirectUri,
    connectorId: 'connector-row-id',
    connectorFactoryId: factory.metadata.id,
    jti: 'interaction-jti',
    headers: {},
  };
  const { rawConnector } = await buildRawConnector(factory, async () => config);
  const authorization = await settle(async () =>
    rawConnector.getAuthorizationUri(authorizationPayload, async (values) =>
      Object.assign(session, values),
    ),
  );
  const afterAuthorization = await loadedFiles();
  const getSession = async () => session;

  const failures = {
    // The user pressed "cancel" on Xiaomi's consent page.
    userDenied: await settle(async () =>
      rawConnector.getUserInfo(
        { error: 'access_denied', error_description: 'user denied', state, redirectUri },
        getSession,
      ),
    ),
    // Xiaomi cannot be reached: the HTTP client is imported, then fails.
    networkDown: await settle(async () =>
      rawConnector.getUserInfo({ code: 'one-time-code', state, redirectUri }, getSession),
    ),
    // A config saved before it was valid, e.g. by an older version or straight into the database.
    invalidConfig: await settle(async () => {
      const { rawConnector: broken } = await buildRawConnector(factory, async () => ({}));
      return broken.getAuthorizationUri(authorizationPayload, async () => undefined);
    }),
  };
  return { authorization, failures, afterAuthorization };
};

// What a connector may import from Logto core, and what Logto's own connectors import beside it.
const hostModules = ['@logto/connector-kit', 'zod'];
const otherModules = ['got', 'ky', '@silverhand/essentials', 'snakecase-keys'];
/** Which of `names` a module in `directory` can import. */
const resolvableFrom = (directory, names) =>
  names.filter((name) => {
    try {
      createRequire(path.join(directory, 'package.json')).resolve(name);
      return true;
    } catch {
      return false;
    }
  });

// Logto prints "[load-connector] skip <name> due to error: ..." and goes on: collect those lines.
const printed = [];
const originals = { ...console };
for (const name of ['log', 'info', 'warn', 'error']) {
  console[name] = (...args) => printed.push(args.map(String).join(' '));
}

const packages = await getConnectorPackagesFromDirectory(connectorsDirectory);
const factories = await loadConnectorFactories(packages, false);
const afterLoad = await loadedFiles();

Object.assign(console, originals);

const cliErrorIsHostError =
  (await settle(async () => notImplemented())).rejected?.isHostConnectorError ?? false;

const report = { hostKitVersion, cliErrorIsHostError, printed, factories: [] };

for (const factory of factories) {
  const { metadata } = factory;
  const packagePath = factory.path;
  const guard = connectorMetadataGuard.safeParse(metadata);
  const { rawConnector } = await buildRawConnector(factory);
  const loadedAtStart = relativeLoads(afterLoad, packagePath);
  const entry = {
    directory: path.relative(connectorsDirectory, packagePath),
    id: metadata.id,
    target: metadata.target,
    platform: metadata.platform,
    type: factory.type,
    logo: metadata.logo,
    logoDark: metadata.logoDark,
    readme: metadata.readme,
    metadataGuard: guard.success ? 'valid' : guard.error.issues,
    formItemProblems: formItemProblems(zod, rawConnector.configGuard, metadata.formItems),
    resolvable: resolvableFrom(packagePath, hostModules.concat(otherModules)),
    loadedAtStart,
    bytesAtStart: await sizeOf(loadedAtStart, packagePath),
  };
  const config = configs[metadata.id];
  if (config) {
    const { afterAuthorization, ...calls } = await exercise(factory, config);
    entry.calls = calls;
    entry.loadedAtAuthorization = relativeLoads(afterAuthorization, packagePath);
    entry.loadedAtSignIn = relativeLoads(await loadedFiles(), packagePath);
  }
  report.factories.push(entry);
}

await writeFile(out, JSON.stringify(report, undefined, 2));
// Keep-alive sockets and timers stay open; Logto would keep running, this process has said all it had to.
process.exit(0);
