// Bundles src/ into lib/. @logto/connector-kit and zod are the only imports left external: Logto's
// core provides both, and connector errors must be instances of the host's own ConnectorError
// class. Everything else the connector uses is Node's own (node:http, node:https, node:crypto), so
// lib/ loads in an instance whose node_modules holds nothing else.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm('lib', { recursive: true, force: true });
// Each entry is one file with its own copy of what it uses: Logto imports lib/index.js at every
// start, and a shared chunk would cost it one more module to resolve and read; lib/check.js runs
// only when an admin runs it.
for (const entry of ['index', 'check']) {
  await build({
    entryPoints: [`src/${entry}.ts`],
    outfile: `lib/${entry}.js`,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['@logto/connector-kit', 'zod'],
    logLevel: 'warning',
  });
}
