import { plainRequest, postForm } from '../network/http-client.ts';
import { decisionPath } from '../xiaomi/authorize.ts';

export interface ConsentChoice {
  decision: 'allow' | 'deny';
  /** The account to pick; the pre-selected one when omitted. */
  userId?: string;
  /** Scopes left ticked; all offered ones when omitted. */
  scopes?: number[];
}

export type ConsentOutcome =
  /** Xiaomi sent the browser back to the app: `query` holds code and state, or error. */
  | { kind: 'redirected'; location: URL; query: Record<string, string> }
  /** Xiaomi stopped on its own error page. */
  | { kind: 'refused'; status: number; xiaomiCode: number | undefined };

const redirected = (location: string): ConsentOutcome => {
  const url = new URL(location);
  return { kind: 'redirected', location: url, query: Object.fromEntries(url.searchParams) };
};

const inputs = (html: string, type: string, name: string) =>
  [
    ...html.matchAll(
      new RegExp(`<input type="${type}" name="${name}" value="([^"]*)"( checked)?`, 'g'),
    ),
  ].map((match) => ({ value: match[1]!, checked: match[2] !== undefined }));

/**
 * Plays the user on the fake's consent page over HTTP, the way a browser would: loads the
 * authorization URL, fills in the form and follows the redirect back to the app.
 */
export const passConsent = async (
  authorizationUri: string,
  choice: ConsentChoice,
): Promise<ConsentOutcome> => {
  const page = await plainRequest(authorizationUri);
  if (page.status === 302) {
    return redirected(String(page.headers.location));
  }
  if (page.status !== 200) {
    const code = /data-xiaomi-error="(\d+)"/.exec(page.body)?.[1];
    return { kind: 'refused', status: page.status, xiaomiCode: code ? Number(code) : undefined };
  }
  const form = new URLSearchParams();
  form.set('txn', inputs(page.body, 'hidden', 'txn')[0]?.value ?? '');
  const preselected =
    inputs(page.body, 'hidden', 'user')[0] ??
    inputs(page.body, 'radio', 'user').find((input) => input.checked);
  form.set('user', choice.userId ?? preselected?.value ?? '');
  const offered = inputs(page.body, 'checkbox', 'scope').map((input) => Number(input.value));
  for (const scope of choice.scopes ?? offered) {
    form.append('scope', String(scope));
  }
  form.set('decision', choice.decision);
  const answer = await postForm(new URL(decisionPath, authorizationUri).href, form);
  if (answer.status !== 302) {
    throw new Error(`the consent form was answered with HTTP ${answer.status}`);
  }
  return redirected(String(answer.headers.location));
};
