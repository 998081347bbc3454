import type { ConsentRequest, FakeStore } from './store.ts';
import { parseScopeParam, scopeLabels } from './scopes.ts';
import type { Reply } from './wire.ts';
import { errorPageReply, escapeHtml, htmlReply, page, redirectReply } from './wire.ts';
import { refusedAs, XiaomiCode, XiaomiRefusal } from './xiaomi-codes.ts';

export const authorizePath = '/oauth2/authorize';
export const decisionPath = '/oauth2/authorize/decision';

const redirectWith = (redirectUri: string, params: Record<string, string | undefined>): string => {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) {
      url.searchParams.set(key, value);
    }
  }
  return url.href;
};

const errorRedirect = (
  redirectUri: string,
  state: string | undefined,
  code: XiaomiCode,
  description: string,
): Reply =>
  redirectReply(
    redirectWith(redirectUri, { error: String(code), error_description: description, state }),
    code,
  );

/**
 * Until the redirect URI is known to be registered Xiaomi cannot send the browser anywhere, so
 * client and redirect refusals end on an error page; later problems go back to the app.
 */
export const handleAuthorize = (store: FakeStore, params: URLSearchParams): Reply =>
  refusedAs(() => {
    const state = params.get('state') ?? undefined;
    const app = store.findApp(params.get('client_id') ?? undefined);
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri) {
      throw new XiaomiRefusal(XiaomiCode.invalidRequest, 'redirect_uri is missing');
    }
    if (!app.redirectUris.includes(redirectUri)) {
      throw new XiaomiRefusal(XiaomiCode.invalidRedirectUri, 'redirect_uri is not registered');
    }
    if (params.get('response_type') !== 'code') {
      return errorRedirect(redirectUri, state, XiaomiCode.unsupportedResponseType, 'response_type');
    }
    const scopeParam = params.get('scope');
    const requested = scopeParam === null ? app.permittedScopes : parseScopeParam(scopeParam);
    if (!requested) {
      return errorRedirect(redirectUri, state, XiaomiCode.invalidScope, 'invalid scope');
    }
    const request = {
      clientId: app.clientId,
      redirectUri,
      state,
      offeredScopes: requested.filter((id) => app.permittedScopes.includes(id)),
      droppedScopes: requested.filter((id) => !app.permittedScopes.includes(id)),
      skipConfirm: params.get('skip_confirm') === 'true',
    };
    return htmlReply(200, consentPage(store, store.holdConsent(request), request));
  }, errorPageReply);

const consentPage = (store: FakeStore, txn: string, request: ConsentRequest): string => {
  const users = [...store.users.values()];
  const [signedIn] = users;
  // skip_confirm skips the account switch for the signed-in user; consent itself is still asked.
  const accounts =
    request.skipConfirm || users.length < 2
      ? `<input type="hidden" name="user" value="${escapeHtml(signedIn?.userId ?? '')}">
<p>Signed in as <strong>${escapeHtml(signedIn?.nickname ?? 'nobody')}</strong></p>`
      : `<fieldset><legend>Account</legend>${users
          .map(
            (user, index) =>
              `<label><input type="radio" name="user" value="${escapeHtml(user.userId)}"${
                index === 0 ? ' checked' : ''
              }> ${escapeHtml(user.nickname)}</label>`,
          )
          .join('\n')}</fieldset>`;
  const scopes = request.offeredScopes
    .map(
      (id) =>
        `<label><input type="checkbox" name="scope" value="${id}" checked> ${escapeHtml(
          scopeLabels.get(id) ?? String(id),
        )}</label>`,
    )
    .join('\n');
  const dropped =
    request.droppedScopes.length > 0
      ? `<p class="fake">Not available to this app: ${request.droppedScopes.join(', ')}</p>`
      : '';
  return page(
    'Xiaomi Account: authorize',
    `<h1>App ${escapeHtml(request.clientId)} wants to use your Xiaomi account</h1>
<form method="post" action="${decisionPath}">
<input type="hidden" name="txn" value="${escapeHtml(txn)}">
${accounts}
<fieldset><legend>Allow access to</legend>
${scopes}
</fieldset>
${dropped}
<button class="allow" type="submit" name="decision" value="allow">Allow</button>
<button class="deny" type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
};

export const handleDecision = (store: FakeStore, form: URLSearchParams): Reply => {
  const request = store.takeConsent(form.get('txn') ?? '');
  if (!request) {
    return errorPageReply(XiaomiCode.invalidRequest, 'this authorization request has expired');
  }
  const { redirectUri, state } = request;
  if (form.get('decision') !== 'allow') {
    return errorRedirect(redirectUri, state, XiaomiCode.accessDenied, 'access denied');
  }
  const user = store.users.get(form.get('user') ?? '');
  if (!user) {
    return errorPageReply(XiaomiCode.invalidRequest, 'unknown account');
  }
  const ticked = new Set(form.getAll('scope').map(Number));
  const code = store.issueCode({
    clientId: request.clientId,
    redirectUri,
    userId: user.userId,
    scopes: request.offeredScopes.filter((id) => ticked.has(id)),
  });
  return redirectReply(redirectWith(redirectUri, { code, state }));
};
