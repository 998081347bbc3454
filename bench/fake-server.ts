// The fake Xiaomi in a process of its own, so that its CPU is never counted against a connector.
// Run with `node --import tsx` (the fake uses TypeScript syntax Node cannot strip). Driven over
// IPC by bench/main.ts: see FakeCommand. With `--tls`, it serves HTTPS under `xiaomi.invalid`, a
// name no resolver knows, behind a CONNECT proxy on loopback that is the only way to reach it by
// that name (networks.ts); `https://127.0.0.1:<port>` reaches it directly.
import { startConnectProxy } from '../fake-xiaomi/connect-proxy.ts';
import { passConsent } from '../fake-xiaomi/scripted-user.ts';
import { startFakeXiaomi, type Faults } from '../fake-xiaomi/index.ts';
import { fakeTls, unresolvableHost } from '../fake-xiaomi/tls.ts';
import { benchApp, redirectUri, type FakeCommand, type FakeReply } from './plan.ts';

const tls = process.argv.includes('--tls');
const fake = await startFakeXiaomi({
  apps: [{ ...benchApp, redirectUris: [redirectUri] }],
  // Longer than any pause between two measurements: idle keep-alive sockets stay usable.
  keepAliveTimeoutMs: 60_000,
  ...(tls && { tls: fakeTls, hostname: unresolvableHost }),
});
const proxy = tls ? await startConnectProxy() : undefined;

/** Latency and faults of the current measurement; minting always runs without them. */
let conditions: Partial<Faults> = {};

/**
 * A benchmark needs ~80,000 codes and the consent page costs milliseconds per code, more than the
 * sign-in itself. So each batch starts with one code obtained the way a browser obtains it (the
 * consent page and its form, over HTTP), and the rest are issued by the same store method, for the
 * same consent (the fake's `issueCodesLike`). Outside the measured section either way.
 */
const mint = async (count: number, scope: string): Promise<string[]> => {
  const authorize = new URL(fake.endpoints.authorize.replace(unresolvableHost, '127.0.0.1'));
  authorize.searchParams.set('client_id', benchApp.clientId);
  authorize.searchParams.set('redirect_uri', redirectUri);
  authorize.searchParams.set('response_type', 'code');
  authorize.searchParams.set('scope', scope);
  authorize.searchParams.set('state', 'bench');
  fake.setFaults({});
  const outcome = await passConsent(authorize.href, { decision: 'allow' });
  fake.setFaults(conditions);
  const code = outcome.kind === 'redirected' ? outcome.query.code : undefined;
  if (!code) {
    throw new Error(`the fake refused to issue a code: ${JSON.stringify(outcome)}`);
  }
  // The fake logs every request; a benchmark makes hundreds of thousands.
  fake.clearLog();
  proxy?.reset();
  return [code, ...fake.issueCodesLike(code, count - 1)];
};

const stats = (): FakeReply => {
  const calls = fake.requestLog.filter(
    (entry) => entry.target === 'token' || entry.target === 'openApi',
  );
  return {
    type: 'stats',
    calls: calls.length,
    throughProxy: calls.filter((entry) => proxy?.upstreamPorts.has(entry.remotePort)).length,
  };
};

const reply = (message: FakeReply) => process.send!(message);

process.on('message', (message: FakeCommand) => {
  const run = async (): Promise<FakeReply> => {
    switch (message.type) {
      case 'mint':
        return { type: 'codes', codes: await mint(message.count, message.scope) };
      case 'latency':
        conditions = { latencyMs: message.ms };
        fake.setFaults(conditions);
        return { type: 'ok' };
      case 'network':
        conditions = message.faults;
        fake.setFaults(conditions);
        fake.setConnections(message.connections);
        return { type: 'ok' };
      case 'stats':
        return stats();
      case 'drop-idle':
        fake.closeIdleConnections();
        return { type: 'ok' };
      case 'close':
        await Promise.all([fake.close(), proxy?.close()]);
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

reply({ type: 'ready', origin: fake.origin, ...(proxy && { proxyUrl: proxy.url }) });
