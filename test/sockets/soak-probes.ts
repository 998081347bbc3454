import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** TCP sockets open in this process: the connector's side and the fake's side together. */
export const openTcpSockets = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;

// vitest passes no `--expose-gc`; the flag still works when set at run time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Live heap, as the lowest of a few collections: V8 frees some memory (old bytecode, buffers)
 * only on a later collection, which makes a single reading noisy by megabytes.
 */
export const heapUsedAfterGc = async (): Promise<number> => {
  let lowest = Number.POSITIVE_INFINITY;
  for (let sample = 0; sample < 5; sample++) {
    gc();
    gc();
    lowest = Math.min(lowest, process.memoryUsage().heapUsed);
    await sleep(20);
  }
  return lowest;
};

/** Polls until `read` gives `target` or less, for sockets that close a moment after use. */
export const settleTo = async (
  read: () => number | Promise<number>,
  target: number,
  withinMs: number,
): Promise<number> => {
  const end = Date.now() + withinMs;
  let value = await read();
  while (value > target && Date.now() < end) {
    await sleep(50);
    value = await read();
  }
  return value;
};

/** Records the host of every outgoing TCP connection, to prove the soak stays on loopback. */
export const watchOutgoingHosts = (): { hosts: Set<string>; stop: () => void } => {
  const hosts = new Set<string>();
  const original = Socket.prototype.connect;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    // net.connect passes its normalised arguments as one array: [options, callback].
    const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    if (typeof first === 'object' && first !== null && 'port' in first) {
      const { host, hostname } = first as { host?: string; hostname?: string };
      hosts.add(host ?? hostname ?? 'localhost');
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      hosts.add(typeof second === 'string' ? second : 'localhost');
    }
    return (original as (...rest: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  return {
    hosts,
    stop: () => {
      Socket.prototype.connect = original;
    },
  };
};
