// The fake Xiaomi in a process of its own, so that its CPU is never counted against a connector.
// Run with `node --import tsx` (the fake uses TypeScript syntax Node cannot strip). Driven over
// IPC by bench/main.ts: see FakeCommand.
import { Server } from 'node:http';

import { passConsent } from '../test/fake-xiaomi/scripted-user.ts';
import { startFakeXiaomi } from '../test/fake-xiaomi/index.ts';
import { FakeStore } from '../test/fake-xiaomi/store.ts';
import { benchApp, redirectUri, type FakeCommand, type FakeReply } from './plan.ts';

/**
 * The fake's HTTP server, kept to close idle keep-alive connections before a memory sample: the
 * connector's pool then holds no sockets, and how many it happened to hold does not show up as
 * growth. Taken as the fake starts listening.
 */
const servers: Server[] = [];
const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: Parameters<Server['listen']>) {
  servers.push(this);
  return listen.apply(this, args);
} as Server['listen'];

const fake = await startFakeXiaomi({
  apps: [{ ...benchApp, redirectUris: [redirectUri] }],
  // Longer than any pause between two measurements: idle keep-alive sockets stay usable.
  keepAliveTimeoutMs: 60_000,
});
Server.prototype.listen = listen;

/** Added before every answer while a measurement runs; minting always runs without it. */
let latencyMs = 0;

/**
 * The grant Xiaomi's consent form issues a code for, and the store it issued it from, taken from
 * the fake's own `FakeStore.issueCode` as the consent form calls it.
 */
const consented: { store?: FakeStore; grant?: Parameters<FakeStore['issueCode']>[0] } = {};
const issueCode = FakeStore.prototype.issueCode;
FakeStore.prototype.issueCode = function (this: FakeStore, grant) {
  consented.store = this;
  consented.grant = grant;
  return issueCode.call(this, grant);
};

/**
 * A benchmark needs ~80,000 codes and the consent page costs milliseconds per code, more than the
 * sign-in itself. So each batch starts with one code obtained the way a browser obtains it (the
 * consent page and its form, over HTTP), and the rest are issued by the same store method, for the
 * same grant, that the form's handler called. Outside the measured section either way.
 */
const mint = async (count: number, scope: string): Promise<string[]> => {
  const authorize = new URL(fake.endpoints.authorize);
  authorize.searchParams.set('client_id', benchApp.clientId);
  authorize.searchParams.set('redirect_uri', redirectUri);
  authorize.searchParams.set('response_type', 'code');
  authorize.searchParams.set('scope', scope);
  authorize.searchParams.set('state', 'bench');
  fake.setFaults({ latencyMs: 0 });
  consented.grant = undefined;
  const outcome = await passConsent(authorize.href, { decision: 'allow' });
  fake.setFaults({ latencyMs });
  const code = outcome.kind === 'redirected' ? outcome.query.code : undefined;
  const { store, grant } = consented;
  if (!code || !store || !grant) {
    throw new Error(`the fake refused to issue a code: ${JSON.stringify(outcome)}`);
  }
  // The fake logs every request; a benchmark makes hundreds of thousands.
  fake.clearLog();
  return [code, ...Array.from({ length: count - 1 }, () => store.issueCode(grant))];
};

const reply = (message: FakeReply) => process.send!(message);

process.on('message', (message: FakeCommand) => {
  const run = async (): Promise<FakeReply> => {
    switch (message.type) {
      case 'mint':
        return { type: 'codes', codes: await mint(message.count, message.scope) };
      case 'latency':
        latencyMs = message.ms;
        fake.setFaults({ latencyMs });
        return { type: 'ok' };
      case 'drop-idle':
        for (const server of servers) server.closeIdleConnections();
        return { type: 'ok' };
      case 'close':
        await fake.close();
        // Answered before leaving: the orchestrator waits for the answer, then for the exit.
        setImmediate(() => process.disconnect());
        return { type: 'ok' };
    }
  };
  run().then(
    (answer) => process.connected && reply(answer),
    (error: unknown) => reply({ type: 'error', message: String(error) }),
  );
});

reply({ type: 'ready', origin: fake.origin });
