/**
 * One of Logto's calls into the connector (an authorization URL, a sign-in, a refresh), made at
 * Logto's boundary: its deadline, with every share of its time decided here, and its secrets,
 * which no error or log line may show. Whatever fails inside it leaves as a ConnectorError.
 */
import { ConnectorError } from '@logto/connector-kit';

import { ConnectorFailure, toConnectorError, type Failure } from './errors.ts';

/**
 * An attempt at a Xiaomi call gives up after this share of the operation's time: a stalled first
 * attempt leaves room for a second one, and for the calls after it (4 s of the default 10 s).
 */
const attemptShare = 0.4;

/**
 * Once the profile has answered, the optional Open API calls have this share of the time left to
 * finish (0.5 s of 10 s); then they are dropped, and the sign-in goes on without their data.
 */
const graceShare = 0.05;

/** When the operation must be over, and what each call within it may take. */
export type Deadline = {
  /** Aborts when the operation's time is up; Logto's own callbacks are bounded by it too. */
  signal: AbortSignal;
  timeoutMs: number;
  attemptMs: number;
  graceMs: number;
};

export type TimeLimit = {
  signal: AbortSignal;
  /** Stops the timer and lets go of the parent; call it when the work is done. */
  clear: () => void;
  /** Aborts now. */
  abort: () => void;
  /** Aborts `ms` from now instead of when it was due. */
  restart: (ms: number) => void;
};

const timedOut = () => new DOMException('The operation timed out.', 'TimeoutError');

/**
 * Aborts after `ms`, or as soon as `parent` aborts, whichever comes first. Not
 * `AbortSignal.timeout` and `AbortSignal.any`: measured on Node 22, a timeout signal cannot be
 * cancelled and keeps about 850 bytes alive until its timer fires (10 s after a sign-in that took
 * 10 ms), and `any` costs 15 to 30 µs and about 2.8 kB per call, for a connector whose whole
 * sign-in costs about 1 ms of CPU. A controller and a timer cleared when the work is done cost 1
 * to 3 µs and leave nothing behind (docs/how-it-works.md).
 */
export const timeLimit = (ms: number, parent?: AbortSignal): TimeLimit => {
  const controller = new AbortController();
  const abort = () => {
    controller.abort(parent?.aborted ? parent.reason : timedOut());
  };
  if (parent?.aborted) {
    abort();
  }
  parent?.addEventListener('abort', abort, { once: true });
  const start = (after: number) => {
    // Like AbortSignal.timeout: a pending limit alone does not keep the process alive.
    const started = setTimeout(abort, after);
    started.unref();
    return started;
  };
  let timer = start(ms);
  const clear = () => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', abort);
  };
  return {
    signal: controller.signal,
    clear,
    abort: () => {
      clear();
      abort();
    },
    restart: (after: number) => {
      clearTimeout(timer);
      timer = start(after);
    },
  };
};

const placeholder = '[redacted]';

/** Characters that neither URL nor form encoding escapes: codes and tokens are mostly only these. */
const unescaped = /^[A-Za-z0-9*._-]*$/;

/**
 * The forms a value takes on the wire (as is, in a URL, in a form body), as Xiaomi may echo it.
 * One form when encoding changes nothing: building a URLSearchParams for each secret was a third
 * of the cost of adding it, and every check of a value against the secrets runs through them all.
 */
const wireForms = (value: string): string[] => {
  if (unescaped.test(value)) {
    return [value];
  }
  // A lone surrogate (a callback's code is anyone's text) goes on the wire as U+FFFD, as
  // URLSearchParams sends it; encodeURIComponent would throw on it.
  const wellFormed = value.replace(/\p{Cs}/gu, '\ufffd');
  return [
    value,
    encodeURIComponent(wellFormed),
    new URLSearchParams({ v: value }).toString().slice(2),
  ];
};

const percentEscapes = /(?:%[0-9a-f]{2})+/gi;

/** Decodes percent-escapes in any letter case, leaving malformed UTF-8 as U+FFFD, never throwing. */
const percentDecode = (text: string): string =>
  text.replace(percentEscapes, (escapes) =>
    Buffer.from(escapes.replace(/%/g, ''), 'hex').toString('utf8'),
  );

/**
 * The values of one operation that must never be shown: the client secret, the code, the tokens,
 * the mac_key. Each is added where the operation learns it, and text from outside is redacted of
 * all of them before it reaches an error, a log line or Logto.
 */
export class Secrets {
  /**
   * Each secret in every wire form, worked out once when it is added: a sign-in checks each value
   * it hands Logto against all of them (user-info.ts), and building the forms per check cost more
   * than the rest of the mapping.
   */
  readonly #forms: string[] = [];

  /** Empty or absent values are skipped: they would match everywhere. */
  add(...values: (string | undefined)[]): void {
    for (const value of values) {
      if (value) {
        for (const form of wireForms(value)) {
          if (!this.#forms.includes(form)) {
            this.#forms.push(form);
          }
        }
      }
    }
  }

  /**
   * Replaces every secret in `text`, as is and in its URL- and form-encoded forms, in case Xiaomi
   * echoes a request parameter. An echo in another form (escapes in lower case, encoded twice)
   * shows once the text is decoded: the text is then kept decoded, and redacted. Callers redact
   * before they shorten, so a cut never leaves a piece of a secret behind. Text holding none is
   * returned unchanged.
   */
  redact(text: string): string {
    const replaced = this.#replaceAll(text);
    // Without a percent-escape, decoding changes nothing.
    if (this.#forms.length === 0 || !replaced.includes('%')) {
      return replaced;
    }
    let view = replaced;
    let hidden = false;
    for (let round = 0; round < 3; round++) {
      const decoded = percentDecode(view);
      if (decoded === view) {
        break;
      }
      view = this.#replaceAll(decoded);
      hidden ||= view !== decoded;
    }
    return hidden ? view : replaced;
  }

  /** Whether text from outside holds a secret, in any of the forms `redact` finds. */
  holds(text: string): boolean {
    return this.redact(text) !== text;
  }

  #replaceAll(text: string): string {
    let result = text;
    for (const form of this.#forms) {
      if (result.includes(form)) {
        result = result.split(form).join(placeholder);
      }
    }
    return result;
  }
}

export type Operation = {
  deadline: Deadline;
  secrets: Secrets;
  /**
   * One of Logto's own callbacks (`getConfig`, `getSession`, `setSession`), which nothing else
   * bounds: one that never settles must not hold the sign-in page forever. Settles like it, or
   * fails with `logto-timeout` when the operation's time is up. A callback that throws
   * synchronously (Logto's `notImplemented`) or returns a plain value is taken as it is.
   */
  fromLogto: <T>(call: LogtoCallback, run: () => T | Promise<T>) => Promise<T>;
};

export type LogtoCallback = Extract<Failure, { kind: 'logto-timeout' }>['call'];

const boundLogtoCallback = async <T>(
  call: LogtoCallback,
  run: () => T | Promise<T>,
  { signal, timeoutMs }: Deadline,
): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timedOut = () => {
      reject(new ConnectorFailure({ kind: 'logto-timeout', call, timeoutMs }));
    };
    if (signal.aborted) {
      timedOut();
      return;
    }
    signal.addEventListener('abort', timedOut, { once: true });
    const settle = () => {
      signal.removeEventListener('abort', timedOut);
    };
    new Promise<T>((ran) => {
      ran(run());
    }).then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });

/**
 * A new operation, its time running from now; `end` stops its clock. runOperation makes one for
 * each of Logto's calls; the self-check (check.ts) makes one for its call to Xiaomi, so it asks
 * Xiaomi within the same shares and retries as a sign-in.
 */
export const startOperation = (timeoutMs: number): { operation: Operation; end: () => void } => {
  const limit = timeLimit(timeoutMs);
  const deadline: Deadline = {
    signal: limit.signal,
    timeoutMs,
    attemptMs: timeoutMs * attemptShare,
    graceMs: timeoutMs * graceShare,
  };
  return {
    operation: {
      deadline,
      secrets: new Secrets(),
      fromLogto: (call, callback) => boundLogtoCallback(call, callback, deadline),
    },
    end: limit.clear,
  };
};

/**
 * Runs one of Logto's calls into the connector as one operation. Whatever escapes it reaches
 * Logto as a ConnectorError: anything else skips Logto's error mapping and shows its raw message
 * (which, for an HTTP client, includes the URL) to the end user. Only here is every secret of the
 * operation known, so only here is a failure made into the error Logto sees.
 */
export const runOperation = async <T>(
  name: string,
  timeoutMs: number,
  run: (operation: Operation) => Promise<T>,
): Promise<T> => {
  const { operation, end } = startOperation(timeoutMs);
  try {
    return await run(operation);
  } catch (error: unknown) {
    if (error instanceof ConnectorError) {
      throw error;
    }
    throw toConnectorError(
      error instanceof ConnectorFailure
        ? error.failure
        : { kind: 'internal', operation: name, cause: error },
      operation.secrets,
    );
  } finally {
    end();
  }
};
