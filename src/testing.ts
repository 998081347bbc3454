/**
 * Internal entry for tests, the demo and benchmarks: the same connector with its endpoints pointed
 * at a fake Xiaomi. Logto only ever loads `lib/index.js`, whose endpoints are Xiaomi's real hosts.
 */
export { createXiaomiConnector, type XiaomiConnectorOptions } from './index.ts';
export type { XiaomiEndpoints } from './constant.ts';
export { meaningOf, xiaomiErrorTable } from './errors.ts';
