import type * as Connector from '../../src/index.ts';

/**
 * The connector exactly as it ships: `lib/index.js`, whose `createXiaomiConnector` takes the
 * endpoints of a fake Xiaomi. test/global-setup.ts builds it once before the tests start.
 */
export const loadBuiltConnector = async (): Promise<typeof Connector> =>
  (await import(new URL('../../lib/index.js', import.meta.url).href)) as typeof Connector;
