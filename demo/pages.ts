import type { RequestLogEntry } from '../fakes/xiaomi/index.ts';
import { escapeHtml as escape } from '../fakes/xiaomi/wire.ts';

import type { SignInResult } from './logto-part.ts';

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f3f4f8; color: #1f2430; }
  header { background: #5d34f2; color: #fff; padding: 14px 28px; font-weight: 600; }
  header small { font-weight: 400; opacity: .8; margin-left: 8px; }
  main { max-width: 980px; margin: 28px auto; padding: 0 20px; }
  .card { background: #fff; border-radius: 12px; padding: 24px 28px; margin-bottom: 20px;
    box-shadow: 0 1px 6px rgba(0,0,0,.06); }
  .xiaomi { display: inline-flex; align-items: center; gap: 10px; font-size: 16px; padding: 10px 22px;
    border: 1px solid #d0d3dc; border-radius: 8px; background: #fff; cursor: pointer; }
  .xiaomi img { width: 24px; height: 24px; }
  pre, code { font-family: ui-monospace, monospace; font-size: 12.5px; }
  pre { background: #f6f7fb; padding: 12px; border-radius: 8px; overflow-x: auto; white-space: pre-wrap;
    word-break: break-all; }
  table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eceef3; vertical-align: top; }
  td.body { max-width: 380px; word-break: break-all; font-family: ui-monospace, monospace; }
  .ok { color: #0a7f3f; } .failed { color: #c0262d; }
  .fake { color: #6b7080; font-size: 13px; }
  label { margin-right: 14px; }
</style>
</head>
<body>
<header>Logto <small>(played by this demo page: no account, no network)</small></header>
<main>
${body}
</main>
</body>
</html>
`;

export const homePage = (xiaomiOrigin: string): string =>
  layout(
    'Sign in — connector-xiaomi demo',
    `<section class="card">
<h1>Sign in to the demo app</h1>
<form method="get" action="/sign-in">
<p>Scopes to ask Xiaomi for (1, the profile, is always asked):
<label><input type="checkbox" name="scope" value="3" checked> 3 openId</label>
<label><input type="checkbox" name="scope" value="4" checked> 4 phone</label>
<label><input type="checkbox" name="scope" value="6" checked> 6 email</label></p>
<button class="xiaomi" type="submit"><img src="/logo.svg" alt=""> Continue with Xiaomi</button>
</form>
<p class="fake">Xiaomi is played by a local fake at <code>${escape(xiaomiOrigin)}</code>, which
behaves like Xiaomi's OAuth and Open API hosts. The connector is the package's own code, pointed at
it.</p>
</section>`,
  );

// Shown as the fake received them, except what would let someone act as the app or the user: the
// client secret, the tokens (`token` is the access token in Open API queries) and the MAC key stay
// hidden even in a demo, the same way in parameters and in answers.
const hiddenKeys = ['client_secret', 'token', 'access_token', 'refresh_token', 'mac_key'];
const hidden = '(hidden)';

const describeParams = (params: Record<string, string>): string =>
  Object.entries(params)
    .map(([key, value]) => `${key}=${hiddenKeys.includes(key) ? hidden : value}`)
    .join('\n');

/** Masks the sensitive fields of a JSON answer, whatever prefix or spacing Xiaomi put around it. */
const maskAnswer = (body: string): string =>
  body.replace(
    new RegExp(`("(?:${hiddenKeys.join('|')})\\s*"\\s*:\\s*)"[^"]*"`, 'g'),
    `$1"${hidden}"`,
  );

const describeAnswer = (call: RequestLogEntry): string => {
  if (call.outcome !== 'answered') {
    return call.outcome;
  }
  if (call.status === 302) {
    return 'redirect to the callback';
  }
  return call.body.startsWith('<') ? 'HTML page' : maskAnswer(call.body).slice(0, 600);
};

/**
 * The calls in the order they reached the fake. The connector sends its Open API calls at the same
 * time, once the token exchange has answered; the fake may answer them in any order, so those
 * rows say which calls ran alongside.
 */
const callsTable = (calls: readonly RequestLogEntry[]) => {
  const ordered = [...calls].sort((a, b) => a.startedAt - b.startedAt || a.seq - b.seq);
  const openApiRows = ordered.flatMap((call, index) => (call.target === 'openApi' ? [index] : []));
  const alongside = (index: number) =>
    ordered[index]!.target === 'openApi' && openApiRows.length > 1
      ? `in parallel with ${openApiRows
          .filter((other) => other !== index)
          .map((other) => `#${other + 1}`)
          .join(', ')}`
      : '';
  return `<p class="fake">In the order Xiaomi received them. The connector sends
<code>user/profile</code>, <code>user/openIdV2</code> and <code>user/phoneAndEmail</code> at the same
time, after the token exchange: those rows ran in parallel.</p>
<table>
<thead><tr><th>#</th><th>call</th><th>parameters</th><th>status</th><th>answer</th><th>ran</th></tr></thead>
<tbody>
${ordered
  .map(
    (
      call,
      index,
    ) => `<tr data-call="${escape(call.path)}" data-parallel="${alongside(index) ? 'yes' : 'no'}">
<td>${index + 1}</td>
<td><code>${escape(call.method)} ${escape(call.path)}</code></td>
<td><pre>${escape(describeParams(call.params))}</pre></td>
<td>${call.status || escape(call.outcome)}</td>
<td class="body">${escape(describeAnswer(call))}</td>
<td>${escape(alongside(index))}</td>
</tr>`,
  )
  .join('\n')}
</tbody>
</table>`;
};

export const resultPage = (result: SignInResult): string => {
  const { outcome } = result;
  const summary =
    'userInfo' in outcome
      ? `<section class="card" data-outcome="signed-in">
<h1 class="ok">Signed in${outcome.userInfo.name ? ` as ${escape(outcome.userInfo.name)}` : ''}</h1>
${outcome.userInfo.avatar ? `<img src="${escape(outcome.userInfo.avatar)}" alt="avatar" width="48" height="48">` : ''}
<h2>The social user info Logto receives</h2>
<pre id="user-info">${escape(JSON.stringify(outcome.userInfo, null, 2))}</pre>
</section>`
      : `<section class="card" data-outcome="failed">
<h1 class="failed">Sign-in failed: <code id="error-code">${escape(outcome.error.code)}</code></h1>
<h2>The ConnectorError Logto receives</h2>
<pre id="error-data">${escape(JSON.stringify(outcome.error, null, 2))}</pre>
</section>`;
  return layout(
    'Result — connector-xiaomi demo',
    `${summary}
<section class="card">
<h2>Authorization URL</h2>
<pre id="authorization-uri">${escape(result.authorizationUri)}</pre>
<h2>Xiaomi calls along the way</h2>
${callsTable(result.calls)}
<p><a href="/">Sign in again</a></p>
</section>`,
  );
};

export const expiredPage = (): string =>
  layout(
    'Expired — connector-xiaomi demo',
    `<section class="card"><h1>This sign-in is unknown or already finished</h1>
<p><a href="/">Start again</a></p></section>`,
  );
