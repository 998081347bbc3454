// Module hooks for load-connectors.mjs: reports every file URL Node loads, so the test can tell what
// importing a connector at Logto's start costs and what is only loaded at the first sign-in.
// Hooks run off the main thread; a `flush` message is answered after all earlier reports.

/** @type {import('node:worker_threads').MessagePort} */
let port;

export const initialize = (data) => {
  port = data.port;
  port.on('message', (message) => {
    if (message === 'flush') {
      port.postMessage('flushed');
    }
  });
  port.unref();
};

export const load = async (url, context, nextLoad) => {
  if (url.startsWith('file:')) {
    port.postMessage(url);
  }
  return nextLoad(url, context);
};
