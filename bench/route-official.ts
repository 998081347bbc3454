// Routes the official connector, whose Xiaomi endpoints are hard-coded, to the fake Xiaomi without
// touching its code. It calls Xiaomi with ky, which calls the global fetch, which hands every
// request to undici's global dispatcher as `{ origin, path, method, headers, body }`. Rewriting
// `origin` there is the last step before a socket is picked: the connector, ky, fetch and undici
// run exactly as they do in Logto (URL parsing, Request objects, body streams, timeouts), only the
// connection goes to 127.0.0.1. The cost of the rewrite itself is measured by `rewriteCostNs`.

const xiaomiOrigins = new Set(['https://account.xiaomi.com', 'https://open.account.xiaomi.com']);

/** Node's bundled undici keeps its global dispatcher under this registered symbol. */
const globalDispatcher = Symbol.for('undici.globalDispatcher.1');

type DispatchOptions = { origin?: string | URL };
type Dispatcher = { dispatch: (options: DispatchOptions, handler: unknown) => boolean };

const rewriter =
  (dispatch: Dispatcher['dispatch'], fakeOrigin: string): Dispatcher['dispatch'] =>
  (options, handler) =>
    dispatch(
      options.origin !== undefined && xiaomiOrigins.has(String(options.origin))
        ? { ...options, origin: fakeOrigin }
        : options,
      handler,
    );

export const routeOfficialToFake = async (fakeOrigin: string): Promise<void> => {
  // Node loads undici, and creates the global dispatcher, at the first fetch.
  await fetch('data:,');
  const dispatcher = (globalThis as Record<symbol, unknown>)[globalDispatcher] as Dispatcher;
  if (typeof dispatcher?.dispatch !== 'function') {
    throw new Error('no undici global dispatcher: has Node changed how fetch is wired?');
  }
  dispatcher.dispatch = rewriter(dispatcher.dispatch.bind(dispatcher), fakeOrigin);
};

/** Nanoseconds the rewrite adds to one request (the official makes two per sign-in). */
export const rewriteCostNs = (): number => {
  const dispatch = rewriter(() => true, 'http://127.0.0.1:1');
  const options = {
    origin: 'https://open.account.xiaomi.com',
    path: '/user/profile',
    method: 'GET',
  };
  const rounds = 1_000_000;
  for (let i = 0; i < rounds; i++) dispatch(options, undefined);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) dispatch(options, undefined);
  return Number(process.hrtime.bigint() - start) / rounds;
};
