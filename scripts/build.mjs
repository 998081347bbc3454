// Bundles src/ into lib/. @logto/connector-kit and zod are the only imports left external: Logto's
// core provides both, and connector errors must be instances of the host's own ConnectorError
// class. Everything else the connector uses is Node's own (node:http, node:https, node:crypto), so
// lib/ loads in an instance whose node_modules holds nothing else.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm('lib', { recursive: true, force: true });
await build({
  entryPoints: { index: 'src/index.ts', check: 'src/check.ts' },
  outdir: 'lib',
  bundle: true,
  // Entries share one copy of the connector in a chunk.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@logto/connector-kit', 'zod'],
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
