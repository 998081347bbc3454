// A fresh process per sample: how long Logto's start-up spends importing the package, then how
// long the first sign-in takes (lazy imports, first connections, cold JIT). Prints JSON. Compiled
// to plain JavaScript by scripts/bench.mjs, so that nothing but the package is loaded on import:
//   node import-time.mjs <official|ours> <scope> <fake origin> <built lib/ directory> <code> [host]
// With `host`, what Logto's core has loaded before it imports connectors (@logto/connector-kit and
// zod, which both packages import) is loaded first: only what the package itself adds is timed.
import { loadFactory, packageEntry, signInWith } from './connectors.ts';
import type { ConnectorName } from './plan.ts';

const [name, scope, fakeOrigin, libDirectory, code, host] = process.argv.slice(2) as [
  ConnectorName,
  string,
  string,
  string,
  string,
  string | undefined,
];

if (host === 'host') {
  await import('@logto/connector-kit');
  await import('zod');
}

const entry = packageEntry(name, libDirectory);
const importStart = performance.now();
await import(entry);
const importMs = performance.now() - importStart;

const signInStart = performance.now();
const signIn = await signInWith(await loadFactory(name, fakeOrigin, libDirectory), scope);
await signIn(code);
const firstSignInMs = performance.now() - signInStart;

console.log(JSON.stringify({ importMs, firstSignInMs }));
process.exit(0);
