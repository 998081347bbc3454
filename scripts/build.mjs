// Bundles src/ into lib/. @logto/connector-kit and zod stay external: Logto's core provides them,
// and connector errors must be instances of the host's own ConnectorError class. Everything else
// (got and its dependencies) is bundled into a chunk that is only imported at the first sign-in,
// so Logto's start-up, which imports every connector, does not pay for it.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm('lib', { recursive: true, force: true });
await build({
  entryPoints: { index: 'src/index.ts', testing: 'src/testing.ts' },
  outdir: 'lib',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@logto/connector-kit', 'zod'],
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  // got's CommonJS dependencies require Node built-ins (http2-wrapper needs `http2`); an ESM
  // bundle has no `require` unless it is made.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
