// Bundles src/ into lib/. @logto/connector-kit and zod stay external: Logto's core provides them,
// and connector errors must be instances of the host's own ConnectorError class. Everything else
// (got and its dependencies) is bundled into a chunk that is only imported at the first sign-in,
// so Logto's start-up, which imports every connector, does not pay for it.
import { build } from 'esbuild';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

await rm('lib', { recursive: true, force: true });
const { metafile } = await build({
  entryPoints: { index: 'src/index.ts', testing: 'src/testing.ts' },
  outdir: 'lib',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@logto/connector-kit', 'zod'],
  chunkNames: 'chunks/[name]-[hash]',
  // The full licence texts go into one file below; comments alone would drop the MIT notices.
  legalComments: 'none',
  metafile: true,
  // got's CommonJS dependencies require Node built-ins (http2-wrapper needs `http2`); an ESM
  // bundle has no `require` unless it is made. Built-ins are all they require, and
  // process.getBuiltinModule (Node 20.16, 22.3; Logto needs 22.14) gives them without importing
  // node:module, which every Logto start would pay for: about 1 ms, a tenth of this package's
  // import (docs/benchmarks.md).
  banner: { js: 'const require = (id) => process.getBuiltinModule(id);' },
  logLevel: 'warning',
});

// Every package whose code is bundled ships its licence with the connector.
const packageDirs = new Set(
  Object.keys(metafile.inputs)
    .map((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
    .filter((dir) => dir !== undefined),
);
const sections = [];
for (const dir of [...packageDirs].sort()) {
  const { name, version, license } = JSON.parse(
    await readFile(path.join(dir, 'package.json'), 'utf8'),
  );
  const licenceFile = (await readdir(dir)).find((file) => /^(licen[cs]e|copying)/i.test(file));
  const text = licenceFile ? await readFile(path.join(dir, licenceFile), 'utf8') : `${license}`;
  sections.push(`## ${name}@${version} (${license})\n\n${text.trim()}\n`);
}
await writeFile(
  'lib/THIRD_PARTY_LICENSES.md',
  `# Third-party code bundled into lib/\n\n${sections.join('\n')}`,
);
