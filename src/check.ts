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

import { parseConfig } from './config.ts';
import { xiaomiEndpoints } from './constant.ts';
import { ConnectorFailure } from './errors.ts';
import { timeLimit, Secrets, type Deadline } from './operation.ts';
import { createXiaomiClient } from './xiaomi.ts';

type Finding = { level: 'ok' | 'problem' | 'unknown'; text: string };

const usage =
  'usage: check.js --config <file.json | -> [--connector-id <id>] [--callback <url>]... [--timeout-ms <ms>]';

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
): Promise<Finding> => {
  const limit = timeLimit(timeoutMs);
  const deadline: Deadline = {
    signal: limit.signal,
    timeoutMs,
    attemptMs: timeoutMs,
    graceMs: 0,
  };
  const secrets = new Secrets();
  secrets.add(app.clientSecret, impossibleCode);
  try {
    await createXiaomiClient({ endpoints: { token: tokenUrl } }).exchangeCode(
      app,
      { code: impossibleCode, redirectUri },
      { deadline, secrets },
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
          text: `Xiaomi does not accept ${redirectUri} as a callback URL of this app (96010). Fix: register it on Xiaomi's open platform.`,
        };
      case 96013:
        return {
          level: 'ok',
          text: 'Xiaomi refused only the made-up code (96013): the AppID, the AppSecret and the callback URL passed the checks Xiaomi made before it. Xiaomi does not document its order of checks, so this is likely, not certain.',
        };
      default:
        return {
          level: 'unknown',
          text: `Xiaomi answered code ${String(failure.xiaomiCode)}, which says nothing certain about the AppID and secret.`,
        };
    }
  } finally {
    limit.clear();
  }
};

/**
 * The callback URLs Logto gives Xiaomi: the sign-in page's `${origin}/callback/${connectorId}`
 * (packages/experience, use-social-sign-in-listener.ts), the experience's
 * `/callback/social/${connectorId}` route (packages/experience, App.tsx), and the account
 * center's `${origin}/account/callback/social/${connectorId}` (packages/account,
 * pages/SocialCallback).
 */
export const checkCallback = (url: string, connectorId: string | undefined): Finding => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      level: 'problem',
      text: `${url} is not a URL. Fix: give the full URL, https://.../callback/<connector id>.`,
    };
  }
  const id = connectorId ?? '[^/]+';
  const shapes = [`/callback/${id}`, `/callback/social/${id}`, `/account/callback/social/${id}`];
  const matches = shapes.some((shape) => new RegExp(`^${shape}$`).test(parsed.pathname));
  if (!matches || parsed.search !== '' || parsed.hash !== '') {
    return {
      level: 'problem',
      text: `${url} is not a callback URL Logto uses. Fix: use ${parsed.origin}/callback/<connector id> (sign-in) or ${parsed.origin}/account/callback/social/<connector id> (account center), as the console's connector page shows.`,
    };
  }
  if (parsed.protocol !== 'https:' && parsed.hostname !== 'localhost') {
    return { level: 'problem', text: `${url} is not https. Fix: serve Logto over https.` };
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
  return config === undefined ? undefined : { config, callbacks, connectorId, timeoutMs };
};

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const main = async (): Promise<number> => {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    console.error(usage);
    return 2;
  }
  let raw: unknown;
  try {
    const text = args.config === '-' ? await readStdin() : await readFile(args.config, 'utf8');
    raw = JSON.parse(text);
  } catch {
    console.error(`${args.config} could not be read as JSON. ${usage}`);
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
  for (const url of args.callbacks) findings.push(checkCallback(url, args.connectorId));
  if (parsed.ok) {
    const tokenUrl = process.env.XIAOMI_CHECK_TOKEN_URL ?? xiaomiEndpoints.token;
    const redirectUri = args.callbacks[0] ?? 'https://localhost/callback/self-check';
    findings.push(await probeCredentials(parsed.config, redirectUri, tokenUrl, args.timeoutMs));
  }
  for (const { level, text } of findings) {
    const label = level === 'ok' ? 'ok' : level === 'problem' ? 'PROBLEM' : 'UNKNOWN';
    process.stdout.write(`${label}: ${text}\n`);
  }
  if (findings.some(({ level }) => level === 'problem')) return 1;
  if (findings.some(({ level }) => level === 'unknown')) return 3;
  return 0;
};

process.exitCode = await main();
