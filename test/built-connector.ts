import type * as Testing from '../src/testing.ts';

/**
 * The connector exactly as it ships: `lib/testing.js`, the same build as `lib/index.js` with its
 * endpoints configurable. test/global-setup.ts builds it once before the tests start.
 */
export const loadBuiltConnector = async (): Promise<typeof Testing> =>
  (await import(new URL('../lib/testing.js', import.meta.url).href)) as typeof Testing;
