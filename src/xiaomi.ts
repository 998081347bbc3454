/**
 * The Xiaomi client: the consent page's URL, the code exchange, the refresh, and the Open API
 * calls, as arctic's providers offer them. Every call goes through `send` (Node's own HTTP client
 * in production; a test may answer in memory), is bounded by the operation's deadline, tried a
 * second time only where that cannot cost the user anything, and decoded by xiaomi-answers.ts.
 */
import { createHmac, randomBytes } from 'node:crypto';

import {
  openApiCalls,
  xiaomiEndpoints,
  type OpenApiStep,
  type Step,
  type XiaomiEndpoints,
} from './constant.ts';
import { ConnectorFailure } from './errors.ts';
import { send as httpSend, TransportError, type HttpRequest, type Send } from './http.ts';
import { timeLimit, type Deadline, type Secrets } from './operation.ts';
import {
  decodeOpenApiResponse,
  decodeTokenResponse,
  type CallFailure,
  type Decoded,
  type Decoder,
  type JsonObject,
  type XiaomiToken,
} from './xiaomi-answers.ts';

// When a call is tried again

/** OA_INVALID_CODE: what a code Xiaomi already redeemed answers. */
const codeAlreadyUsed = 96013;

type Attempt<T> = {
  decoded: Decoded<T>;
  /** Whether Xiaomi may have read the request (TransportError.reached). */
  reached: boolean;
  /** A reused connection that had been dropped while idle (TransportError.stale). */
  stale: boolean;
};

const attempt = async <T>(
  send: Send,
  request: HttpRequest,
  decode: Decoder<T>,
  deadline: Deadline,
): Promise<Attempt<T>> => {
  const limit = timeLimit(deadline.attemptMs, deadline.signal);
  try {
    return { decoded: decode(await send(request, limit.signal)), reached: true, stale: false };
  } catch (error: unknown) {
    if (!(error instanceof TransportError)) {
      throw error;
    }
    const reason = error.code === 'ETIMEDOUT' ? 'timed out' : error.code;
    return {
      decoded: { ok: false, failure: { kind: 'network', reason } },
      reached: error.reached,
      stale: error.stale,
    };
  } finally {
    limit.clear();
  }
};

/** An answer no client could use: a gateway's 5xx page, or a body broken on the way; not a 4xx. */
const brokenAnswer = (failure: CallFailure): boolean =>
  failure.kind === 'unexpected' &&
  (failure.status === undefined || failure.status < 400 || failure.status >= 500);

/**
 * Whether a second attempt can turn a failure into a success without risk, per step
 * (docs/how-it-works.md, "When a call is tried again"):
 * - A request that failed on a reused connection before any answer (one dropped while idle) is
 *   taken as unread: any step, the code exchange included (a refresh never goes on a reused
 *   connection).
 * - Xiaomi's own verdicts (a 96xxx code, HTTP 429, a 4xx page) are final: a second attempt gets
 *   the same, or adds load where Xiaomi asked for less.
 * - Open API calls are reads: a network failure or a broken answer is tried once more.
 * - The code exchange too: if Xiaomi redeemed the code before its answer was lost, the second
 *   attempt can only answer 96013, and the sign-in had failed anyway.
 * - A refresh only when Xiaomi cannot have read it (no connection was open): a refresh token
 *   works once, and presenting a spent one again may make Xiaomi revoke what it issued.
 */
const worthASecondAttempt = (
  step: Step,
  { decoded, reached, stale }: Attempt<unknown>,
): boolean => {
  if (decoded.ok) {
    return false;
  }
  if (stale) {
    return true;
  }
  const { failure } = decoded;
  if (step === 'refresh') {
    return failure.kind === 'network' && !reached;
  }
  return failure.kind === 'network' || brokenAnswer(failure);
};

const spentCode = (decoded: Decoded<unknown>): boolean =>
  !decoded.ok &&
  decoded.failure.kind === 'xiaomi' &&
  Number(decoded.failure.xiaomiCode) === codeAlreadyUsed;

/**
 * One Xiaomi call: an attempt, and a second one when the rule above allows it and the
 * operation's time is not spent, on a new connection (the pool's next idle one may be as stale as
 * the last). So Xiaomi is sent each call twice at most. Returns the decoded answer, or throws its
 * failure, named by `step`.
 */
const callXiaomi = async <T>(
  send: Send,
  step: Step,
  request: HttpRequest,
  decode: Decoder<T>,
  deadline: Deadline,
): Promise<T> => {
  const first = await attempt(send, request, decode, deadline);
  let { decoded } = first;
  if (!deadline.signal.aborted && worthASecondAttempt(step, first)) {
    const second = await attempt(send, { ...request, ownConnection: true }, decode, deadline);
    // A 96013 the first attempt may have caused, by redeeming the code before its answer was
    // lost: the first failure says what went wrong. (A reused connection that failed without an
    // answer is counted too: one whose server read the request and then dropped it looks the same.)
    decoded =
      step === 'token' && first.reached && spentCode(second.decoded)
        ? first.decoded
        : second.decoded;
  }
  if (!decoded.ok) {
    throw new ConnectorFailure({ ...decoded.failure, step });
  }
  return decoded.value;
};

// MAC signatures

/**
 * Xiaomi's access tokens are MAC tokens; some Open APIs only answer requests signed with the
 * token's `mac_key` (Xiaomi's mac-signature-verification page):
 * text = nonce, METHOD, host, path and the sorted non-empty query, each line ending in `\n`;
 * mac = Base64(HMAC-SHA1(mac_key, text)).
 */
export type SignedRequest = {
  method: 'GET' | 'POST';
  /** `URL.host`: no scheme; the port only when it is not the default. */
  host: string;
  path: string;
  query: URLSearchParams;
};

/** `<random 64-bit integer>:<Unix time in minutes>`; a fresh one for every request, retries too. */
export const createNonce = (nowMs: number): string =>
  `${randomBytes(8).readBigInt64BE()}:${Math.floor(nowMs / 60_000)}`;

const sortedQuery = (query: URLSearchParams): string =>
  [...query]
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');

export const macText = (nonce: string, request: SignedRequest): string =>
  `${nonce}\n${request.method}\n${request.host}\n${request.path}\n${sortedQuery(request.query)}\n`;

export const macAuthorization = (
  accessToken: string,
  macKey: string,
  request: SignedRequest,
  nonce: string = createNonce(Date.now()),
): string => {
  const mac = createHmac('sha1', macKey).update(macText(nonce, request)).digest('base64');
  return `MAC access_token="${accessToken}", nonce="${nonce}", mac="${mac}"`;
};

// The client

/** The app, as registered on Xiaomi's open platform. */
export type XiaomiApp = { clientId: string; clientSecret: string };

/** What a call needs of the operation it is part of. */
export type CallContext = { deadline: Deadline; secrets: Secrets };

type OpenApiCall = (typeof openApiCalls)[number];

const requiredCalls = openApiCalls.filter((row) => !row.optional);
const optionalCalls = openApiCalls.filter((row) => row.optional);

/** The Open API's answers, by call; an optional call that was not made or failed is absent. */
export type XiaomiUser = Record<Extract<OpenApiCall, { optional: false }>['step'], JsonObject> &
  Partial<Record<Extract<OpenApiCall, { optional: true }>['step'], JsonObject>>;

export type XiaomiClientOptions = {
  endpoints?: Partial<XiaomiEndpoints>;
  /** The transport; Node's own HTTP client unless a test answers in memory. */
  send?: Send;
};

export const createXiaomiClient = ({ endpoints: chosen, send = httpSend }: XiaomiClientOptions) => {
  const endpoints = { ...xiaomiEndpoints, ...chosen };
  /** What a MAC signature names as the host: `URL.host`, the port only when not the default. */
  const openApiHost = new URL(endpoints.openApi).host;

  /**
   * A grant for Xiaomi's tokens: a POST with a form body, as Logto's own Xiaomi connector does in
   * production. Xiaomi's docs show GET, but a POST keeps the client secret out of URLs and proxy
   * logs. Xiaomi asks for the redirect URI on both grants. Every token Xiaomi issues is a secret of
   * the operation from here on.
   */
  const requestToken = async (
    app: XiaomiApp,
    redirectUri: string,
    grant: { code: string } | { refreshToken: string },
    { deadline, secrets }: CallContext,
  ): Promise<XiaomiToken> => {
    const form = new URLSearchParams();
    form.set('client_id', app.clientId);
    form.set('client_secret', app.clientSecret);
    form.set('redirect_uri', redirectUri);
    if ('code' in grant) {
      form.set('grant_type', 'authorization_code');
      form.set('code', grant.code);
    } else {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', grant.refreshToken);
    }
    const step = 'code' in grant ? 'token' : 'refresh';
    const token = await callXiaomi(
      send,
      step,
      {
        method: 'POST',
        url: endpoints.token,
        form: form.toString(),
        // A refresh token works once: a failed refresh must tell whether Xiaomi read it, which a
        // reused connection cannot (http.ts).
        ownConnection: step === 'refresh',
      },
      decodeTokenResponse,
      deadline,
    );
    secrets.add(token.accessToken, token.refreshToken, token.macKey);
    return token;
  };

  /** Open API calls take camelCase `clientId` and `token`, unlike the OAuth endpoints. */
  const callOpenApi = async (
    { step, path }: OpenApiCall,
    clientId: string,
    token: XiaomiToken,
    macKey: string | undefined,
    deadline: Deadline,
  ): Promise<JsonObject> => {
    const query = new URLSearchParams({ clientId, token: token.accessToken });
    return callXiaomi(
      send,
      step,
      {
        method: 'GET',
        url: `${endpoints.openApi}${path}?${query}`,
        ...(macKey !== undefined && {
          headers: () => ({
            authorization: macAuthorization(token.accessToken, macKey, {
              method: 'GET',
              host: openApiHost,
              path,
              query,
            }),
          }),
        }),
      },
      decodeOpenApiResponse,
      deadline,
    );
  };

  return {
    /** Step 1: Xiaomi's consent page (section 1 of Xiaomi's OAuth docs). */
    authorizationUrl: ({
      clientId,
      redirectUri,
      scopes,
      state,
      skipConfirm,
    }: {
      clientId: string;
      redirectUri: string;
      scopes: readonly string[];
      state: string;
      skipConfirm: boolean;
    }): string => {
      const query = new URLSearchParams();
      query.set('client_id', clientId);
      query.set('redirect_uri', redirectUri);
      query.set('response_type', 'code');
      query.set('scope', scopes.join(' '));
      query.set('state', state);
      query.set('skip_confirm', String(skipConfirm));
      return `${endpoints.authorize}?${query.toString()}`;
    },

    /** Step 3: the callback's code for tokens. Xiaomi compares the redirect URI with step 1's. */
    exchangeCode: (
      app: XiaomiApp,
      { code, redirectUri }: { code: string; redirectUri: string },
      context: CallContext,
    ): Promise<XiaomiToken> => requestToken(app, redirectUri, { code }, context),

    /** Token storage: a stored refresh token for new tokens (and a new refresh token). */
    refresh: (
      app: XiaomiApp,
      { refreshToken, redirectUri }: { refreshToken: string; redirectUri: string },
      context: CallContext,
    ): Promise<XiaomiToken> => requestToken(app, redirectUri, { refreshToken }, context),

    /**
     * Step 4: the Open API calls the granted scopes allow, all at once, so a full profile costs
     * one round trip after the token, not three. Once the required profile has answered, the
     * optional calls have the deadline's grace left; then they are dropped.
     */
    fetchUser: async (
      clientId: string,
      token: XiaomiToken,
      granted: ReadonlySet<string>,
      { macSignature }: { macSignature: boolean },
      { deadline }: CallContext,
    ): Promise<XiaomiUser> => {
      if (macSignature && !token.macKey) {
        throw new ConnectorFailure({
          kind: 'unexpected',
          step: 'token',
          reason:
            'no mac_key to sign Open API calls with (turn off "Sign Open API calls" or ask Xiaomi)',
        });
      }
      const macKey = macSignature ? token.macKey : undefined;
      const call = async (row: OpenApiCall, within: Deadline) =>
        [row.step, await callOpenApi(row, clientId, token, macKey, within)] as const;
      const wanted = optionalCalls.filter(({ scopes }) => scopes.some((id) => granted.has(id)));
      if (wanted.length === 0) {
        return Object.fromEntries(
          await Promise.all(requiredCalls.map(async (row) => call(row, deadline))),
        ) as XiaomiUser;
      }
      const optionalLimit = timeLimit(deadline.timeoutMs, deadline.signal);
      const optionalDeadline = { ...deadline, signal: optionalLimit.signal };
      const optionalAnswers = wanted.map(async (row) =>
        call(row, optionalDeadline).catch(() => [row.step, undefined] as const),
      );
      let required: (readonly [OpenApiStep, JsonObject])[];
      try {
        required = await Promise.all(requiredCalls.map(async (row) => call(row, deadline)));
      } catch (error: unknown) {
        optionalLimit.abort();
        throw error;
      }
      optionalLimit.restart(deadline.graceMs);
      try {
        const answers = [...required, ...(await Promise.all(optionalAnswers))];
        return Object.fromEntries(answers.filter(([, data]) => data !== undefined)) as XiaomiUser;
      } finally {
        optionalLimit.clear();
      }
    },
  };
};

export type XiaomiClient = ReturnType<typeof createXiaomiClient>;
