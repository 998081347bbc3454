/**
 * The admin's self-check, run on the Logto host: `node <logto>/packages/core/connectors/
 * connector-xiaomi/lib/check.js --config config.json [--connector-id ID] [--callback URL]...`.
 * `connector add` unpacks the package into packages/core/connectors/ (docs/install.md), and Logto
 * core resolves @logto/connector-kit and zod from there, which is all lib/check.js imports.
 * The config is read from a JSON file (or stdin with `--config -`), so the secret stays out of
 * the shell's history; the secret is never printed.
 *
 * Exit codes: 0 nothing wrong found; 1 a problem found; 2 usage error; 3 Xiaomi unreachable or its
 * answer inconclusive.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

import { parseConfig } from './config.ts';
import { xiaomiEndpoints } from './constant.ts';
import { ConnectorFailure } from './errors.ts';
import { startOperation } from './operation.ts';
import type { Send } from './http.ts';
import { createXiaomiClient } from './xiaomi.ts';

type Finding = { level: 'ok' | 'problem' | 'unknown'; text: string };

const usage =
  'usage: check.js --config <file.json | -> --callback <url> [--callback <url>]... [--connector-id <id>] [--timeout-ms <ms>]';

/** A code no Xiaomi login can have issued: the exchange can only be refused. */
const impossibleCode = 'connector-xiaomi-self-check-not-a-code';

/**
 * What Xiaomi answers to a token exchange with an impossible code (xiaomi-api.md's table; Xiaomi
 * documents the codes, not the order in which it checks the request's fields).
 */
export const probeCredentials = async (
  app: { clientId: string; clientSecret: string },
  redirectUri: string,
  tokenUrl: string,
  timeoutMs: number,
  send?: Send,
): Promise<Finding> => {
  const { operation, end } = startOperation(timeoutMs);
  const { secrets } = operation;
  secrets.add(app.clientSecret, impossibleCode);
  try {
    await createXiaomiClient({ endpoints: { token: tokenUrl }, send }).exchangeCode(
      app,
      { code: impossibleCode, redirectUri },
      operation,
    );
    return {
      level: 'unknown',
      text: 'Xiaomi accepted a code that cannot exist; nothing can be concluded.',
    };
  } catch (error: unknown) {
    if (!(error instanceof ConnectorFailure)) {
      throw error;
    }
    const { failure } = error;
    if (failure.kind === 'network') {
      return {
        level: 'unknown',
        text: secrets.redact(
          `Xiaomi could not be reached (${failure.reason}). Fix: check this host's network, DNS, and the proxy in NODE_USE_ENV_PROXY/HTTPS_PROXY.`,
        ),
      };
    }
    if (failure.kind !== 'xiaomi') {
      return {
        level: 'unknown',
        text: `Xiaomi's answer was not one the check knows (${failure.kind}).`,
      };
    }
    switch (Number(failure.xiaomiCode)) {
      case 96001:
        return {
          level: 'problem',
          text: "Xiaomi does not know this AppID, or its account service is off (96001). Fix: copy the AppID from Xiaomi's open platform and enable the account service.",
        };
      case 96003:
        return {
          level: 'problem',
          text: 'Xiaomi knows the AppID, but the AppSecret does not match it (96003). Fix: copy the AppSecret again.',
        };
      case 96010:
        return {
          level: 'problem',
          text: `Xiaomi does not accept ${redirectUri} as a callback URL of this app (96010). Fix: register it on Xiaomi's open platform (several are separated by ";"). Xiaomi may check this before the AppSecret, so the secret is not checked yet: run again once it is registered.`,
        };
      case 96013:
        return {
          level: 'ok',
          text: `With ${redirectUri}, Xiaomi refused only the made-up code (96013): the AppID, the AppSecret and this callback URL passed the checks Xiaomi made before it. Xiaomi does not document its order of checks, so this is likely, not certain.`,
        };
      default:
        return {
          level: 'unknown',
          text: `Xiaomi answered code ${String(failure.xiaomiCode)}, which says nothing certain about the AppID and secret.`,
        };
    }
  } finally {
    end();
  }
};

/**
 * The callback URLs Logto hands Xiaomi as `redirect_uri`, as Logto's code builds them
 * (logto-io/logto):
 * - `${origin}/callback/${connectorId}`: the sign-in page starts every social sign-in with it, web
 *   and native apps alike (packages/experience/src/containers/SocialSignInList/use-social.ts) and
 *   posts it back (packages/experience/src/pages/SocialSignInWebCallback/use-social-sign-in-listener.ts).
 *   From 1.43 on it is the account center's too: the console's connector page lists it alone
 *   (packages/console/src/components/ConnectorForm/ConfigForm/index.test.tsx).
 * - `${origin}/account/callback/social/${connectorId}`: the account center's own up to 1.42
 *   (packages/account/src/pages/SocialCallback/index.tsx), listed beside it by 1.42's console.
 */
const callbackShapes = [/^\/callback\/([^/]+)$/, /^\/account\/callback\/social\/([^/]+)$/];

export const checkCallback = (url: string, connectorId: string | undefined): Finding => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      level: 'problem',
      text: `${url} is not a URL. Fix: give the whole URL the console shows, https://<your Logto>/callback/<connector id>.`,
    };
  }
  const fix = `Fix: copy it from the connector's page in Logto's console: ${parsed.origin}/callback/<connector id> (sign-in, and the account center from Logto 1.43), or ${parsed.origin}/account/callback/social/<connector id> (the account center up to 1.42).`;
  const id = callbackShapes
    .map((shape) => shape.exec(parsed.pathname)?.[1])
    .find((match) => match !== undefined);
  if (id === undefined || parsed.search !== '' || parsed.hash !== '') {
    return { level: 'problem', text: `${url} is not a callback URL Logto uses. ${fix}` };
  }
  if (connectorId !== undefined && id !== connectorId) {
    return {
      level: 'problem',
      text: `${url} is the callback of connector ${id}, not of ${connectorId}. ${fix}`,
    };
  }
  if (parsed.protocol !== 'https:' && parsed.hostname !== 'localhost') {
    return {
      level: 'problem',
      text: `${url} is not https: Logto behind plain http is reachable by anyone on the path. Fix: serve Logto over https and register the https URL.`,
    };
  }
  return { level: 'ok', text: `${url} has the shape of a Logto callback URL.` };
};

const parseArgs = (argv: string[]) => {
  const callbacks: string[] = [];
  let config: string | undefined;
  let connectorId: string | undefined;
  let timeoutMs = 10_000;
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = argv[index + 1];
    if (value === undefined) {
      return undefined;
    }
    index++;
    if (flag === '--config') config = value;
    else if (flag === '--callback') callbacks.push(value);
    else if (flag === '--connector-id') connectorId = value;
    else if (flag === '--timeout-ms' && /^\d{1,6}$/.test(value)) timeoutMs = Number(value);
    else return undefined;
  }
  // Xiaomi's answer is about one redirect URI: without one, there is nothing to ask it.
  return config === undefined || callbacks.length === 0
    ? undefined
    : { config, callbacks, connectorId, timeoutMs };
};

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** What the check reads and writes; a test passes its own. */
export type CheckIo = {
  read: (file: string) => Promise<string>;
  write: (line: string) => void;
  env: Record<string, string | undefined>;
  send?: Send;
};

/** The whole check: its findings written line by line, and its exit code. */
export const runCheck = async (argv: string[], io: CheckIo): Promise<number> => {
  const args = parseArgs(argv);
  if (!args) {
    io.write(usage);
    return 2;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await io.read(args.config));
  } catch {
    io.write(`${args.config} could not be read as JSON. ${usage}`);
    return 2;
  }
  const findings: Finding[] = [];
  const parsed = parseConfig(raw);
  if (parsed.ok) {
    findings.push({ level: 'ok', text: 'The config parses as the console form would save it.' });
  } else {
    for (const issue of parsed.issues) {
      findings.push({ level: 'problem', text: `${issue.path || 'config'}: ${issue.message}` });
    }
  }
  const shaped: string[] = [];
  for (const url of args.callbacks) {
    const finding = checkCallback(url, args.connectorId);
    findings.push(finding);
    if (finding.level === 'ok') shaped.push(url);
  }
  if (parsed.ok) {
    // A hidden seam for the tests, which point it at the fake Xiaomi.
    const tokenUrl = io.env.XIAOMI_CHECK_TOKEN_URL ?? xiaomiEndpoints.token;
    // One exchange per callback: Xiaomi tells for each whether it is registered (96010).
    for (const redirectUri of shaped.slice(0, 4)) {
      findings.push(
        await probeCredentials(parsed.config, redirectUri, tokenUrl, args.timeoutMs, io.send),
      );
    }
  }
  for (const { level, text } of findings) {
    io.write(`${level === 'ok' ? 'ok' : level === 'problem' ? 'PROBLEM' : 'UNKNOWN'}: ${text}`);
  }
  if (findings.some(({ level }) => level === 'problem')) return 1;
  if (findings.some(({ level }) => level === 'unknown')) return 3;
  return 0;
};

// Run as lib/check.js (not when a test imports it).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runCheck(process.argv.slice(2), {
    read: async (file) => (file === '-' ? readStdin() : readFile(file, 'utf8')),
    write: (line) => {
      process.stdout.write(`${line}\n`);
    },
    env: process.env,
  });
}
