// The Logto releases this connector supports, each as its own CLI (the connector loader Logto core
// uses at start, and `logto connector add/list/remove/link`) with the connector-kit and zod that
// release ships. The install test runs against every one of them.
//
// Logto publishes @logto/cli and @logto/connector-kit from one monorepo, so a release's CLI names
// its own connector-kit as the lower bound of its range (`^5.1.1` in 1.43.0): that exact version
// is installed next to it. The release that matches this repository's devDependency is used from
// node_modules; the others are fetched from the npm registry once, into .cache/logto-<version>.
//
//   node scripts/logto-releases.mjs   # fetches every release (run once while online)
//   LOGTO_RELEASES=1.43.0 npm test    # only the listed releases, e.g. offline
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { installIntoCache, MissingFromCacheError } from './cache-install.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every Logto release whose CLI the npm registry serves, oldest first. */
export const supportedReleases = [
  { logto: '1.37.1', connectorKit: '4.7.0' },
  { logto: '1.40.1', connectorKit: '5.0.1' },
  { logto: '1.42.0', connectorKit: '5.1.0' },
  { logto: '1.43.0', connectorKit: '5.1.1' },
];

/** zod as every supported release pins it, in its CLI and in Logto core. */
export const hostZod = '3.24.3';

const versionIn = (nodeModules, name) => {
  const file = path.join(nodeModules, name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
};

/** The CLI must use the release's connector-kit, not a newer copy nested under it. */
const holds = (nodeModules, { logto, connectorKit }) =>
  versionIn(nodeModules, '@logto/cli') === logto &&
  versionIn(nodeModules, '@logto/connector-kit') === connectorKit &&
  versionIn(nodeModules, 'zod') === hostZod &&
  !existsSync(path.join(nodeModules, '@logto/cli/node_modules/@logto/connector-kit'));

/**
 * @typedef {{ logto: string, connectorKit: string, nodeModules: string, cli: string }} LogtoRelease
 * @param {{ logto: string, connectorKit: string }} release
 * @returns {Promise<LogtoRelease>}
 */
export const logtoRelease = async (release) => {
  const own = path.join(root, 'node_modules');
  const nodeModules = holds(own, release)
    ? own
    : path.join(
        await installIntoCache({
          directory: `logto-${release.logto}`,
          specs: [
            `@logto/cli@${release.logto}`,
            `@logto/connector-kit@${release.connectorKit}`,
            `zod@${hostZod}`,
          ],
          isComplete: (directory) => holds(path.join(directory, 'node_modules'), release),
          howToProvide: `Run \`node scripts/logto-releases.mjs\` once while the npm registry is reachable, or set LOGTO_RELEASES to the releases to test (e.g. LOGTO_RELEASES=${supportedReleases.at(-1)?.logto}).`,
        }),
        'node_modules',
      );
  return { ...release, nodeModules, cli: path.join(nodeModules, '@logto/cli') };
};

/** The releases to test: all supported ones, or those listed in LOGTO_RELEASES. */
export const releasesToTest = () => {
  const listed = process.env.LOGTO_RELEASES?.split(',').map((value) => value.trim());
  if (!listed) {
    return supportedReleases;
  }
  const unknown = listed.filter((logto) => !supportedReleases.some((r) => r.logto === logto));
  if (unknown.length > 0) {
    throw new MissingFromCacheError(
      `LOGTO_RELEASES names ${unknown.join(', ')}; supported: ${supportedReleases.map((r) => r.logto).join(', ')}.`,
    );
  }
  return supportedReleases.filter(({ logto }) => listed.includes(logto));
};

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    for (const release of await Promise.all(releasesToTest().map(logtoRelease))) {
      console.log(`Logto ${release.logto}: ${release.cli}`);
    }
  } catch (error) {
    console.error(error instanceof MissingFromCacheError ? error.message : error);
    process.exitCode = 1;
  }
}
