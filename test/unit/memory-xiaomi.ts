/**
 * Xiaomi answering in memory, through the connector's transport seam (`send`): no socket, no
 * nock. Each route takes a queue of answers, one per request; a request nothing answers fails
 * the test loudly. What went over the wire is kept, as Xiaomi would have read it.
 */
import { TransportError, type HttpRequest, type HttpResponse, type Send } from '../../src/http.ts';

/** What Xiaomi answers one request with. */
export type Answer =
  | { status?: number; body: string | object; delayMs?: number }
  /** No answer: how the connection failed (http.ts). */
  | { fails: string; reached?: boolean; stale?: boolean }
  /** No answer until the attempt's time limit aborts it. */
  | 'stall';

export type Route = 'POST /oauth2/token' | `GET /user/${string}`;

export type SentRequest = {
  method: HttpRequest['method'];
  url: URL;
  form: URLSearchParams | undefined;
  headers: Record<string, string>;
  ownConnection: boolean;
};

const abortable = async (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new TransportError('ETIMEDOUT', true, false));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

export class MemoryXiaomi {
  readonly sent: SentRequest[] = [];
  /** The most requests Xiaomi was answering at once. */
  mostAtOnce = 0;
  readonly #answers = new Map<string, Answer[]>();
  #atOnce = 0;

  /** Queues `answer` for the next `times` requests of `route`. */
  answer(route: Route, answer: Answer, times = 1): this {
    const queue = this.#answers.get(route) ?? [];
    for (let time = 0; time < times; time++) {
      queue.push(answer);
    }
    this.#answers.set(route, queue);
    return this;
  }

  /** The requests of one route, in the order sent. */
  sentTo(route: Route): SentRequest[] {
    return this.sent.filter(({ method, url }) => `${method} ${url.pathname}` === route);
  }

  /** Routes with answers no request took. */
  unused(): string[] {
    return [...this.#answers].filter(([, queue]) => queue.length > 0).map(([route]) => route);
  }

  readonly send: Send = async (request, signal): Promise<HttpResponse> => {
    this.#atOnce++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.#atOnce);
    try {
      return await this.#reply(request, signal);
    } finally {
      this.#atOnce--;
    }
  };

  readonly #reply = async (request: HttpRequest, signal: AbortSignal): Promise<HttpResponse> => {
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    this.sent.push({
      method: request.method,
      url,
      form: request.form === undefined ? undefined : new URLSearchParams(request.form),
      headers: request.headers?.() ?? {},
      ownConnection: request.ownConnection ?? false,
    });
    const answer = this.#answers.get(route)?.shift();
    if (answer === undefined) {
      throw new Error(`memory Xiaomi: nothing answers ${route}`);
    }
    if (signal.aborted) {
      throw new TransportError('ETIMEDOUT', false, false);
    }
    if (answer === 'stall') {
      await abortable(2 ** 31 - 1, signal);
      throw new Error('unreachable');
    }
    if ('fails' in answer) {
      throw new TransportError(answer.fails, answer.reached ?? true, answer.stale ?? false);
    }
    if (answer.delayMs !== undefined) {
      await abortable(answer.delayMs, signal);
    }
    const { body } = answer;
    return {
      status: answer.status ?? 200,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    };
  };
}
