import type { IncomingMessage } from 'node:http';

import { XiaomiCode, xiaomiCodeNames } from './xiaomi-codes.ts';

/** What an endpoint answers, before faults and logging get their say. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The 96xxx code the reply carries, for the request log. */
  xiaomiCode?: number;
}

export interface Quirks {
  /** Text between `&&&START&&&` and the JSON; Xiaomi's docs show stray whitespace there. */
  prefixPadding: string;
  /** Key names with a trailing space, as the docs print `"token_type "`. */
  spacedKeys: boolean;
  /** Error codes as strings ("96008") instead of numbers; both are seen. */
  stringErrorCodes: boolean;
}

export const defaultQuirks: Quirks = {
  prefixPadding: '',
  spacedKeys: false,
  stringErrorCodes: false,
};

export const tokenPrefix = '&&&START&&&';

// Xiaomi labels its token JSON as HTML; a client must not trust the content type.
const tokenContentType = 'text/html;charset=UTF-8';
const jsonContentType = 'application/json;charset=UTF-8';

/** Query and form parameters merged, as Xiaomi accepts the token request either way. */
export const readParams = async (request: IncomingMessage, url: URL): Promise<URLSearchParams> => {
  const params = new URLSearchParams(url.search);
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  if (request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    for (const key of new Set(form.keys())) {
      params.delete(key);
    }
    for (const [key, value] of form) {
      params.append(key, value);
    }
  }
  return params;
};

const wireCode = (code: number, quirks: Quirks): number | string =>
  quirks.stringErrorCodes ? String(code) : code;

const spaceKeys = (value: Record<string, unknown>, quirks: Quirks): Record<string, unknown> =>
  quirks.spacedKeys && 'token_type' in value
    ? Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key === 'token_type' ? `${key} ` : key, item]),
      )
    : value;

export const tokenReply = (value: Record<string, unknown>, quirks: Quirks): Reply => ({
  status: 200,
  headers: { 'content-type': tokenContentType },
  body: `${tokenPrefix}${quirks.prefixPadding}${JSON.stringify(spaceKeys(value, quirks))}`,
});

// Token errors come with HTTP 200 too.
export const tokenErrorReply = (code: XiaomiCode, description: string, quirks: Quirks): Reply => ({
  ...tokenReply({ error: wireCode(code, quirks), error_description: description }, quirks),
  xiaomiCode: code,
});

export const envelopeReply = (data: Record<string, unknown>): Reply => ({
  status: 200,
  headers: { 'content-type': jsonContentType },
  body: JSON.stringify({ result: 'ok', description: 'success', data, code: 0 }),
});

/** Open API errors arrive with HTTP 200, 401 or 403; the envelope, not the status, is the truth. */
const envelopeErrorStatus = (code: XiaomiCode): number =>
  code === XiaomiCode.invalidToken
    ? 401
    : code === XiaomiCode.invalidScope || code === XiaomiCode.accessDenied
      ? 403
      : 200;

export const envelopeErrorReply = (
  code: XiaomiCode,
  description: string,
  quirks: Quirks,
  status = envelopeErrorStatus(code),
): Reply => ({
  status,
  headers: { 'content-type': jsonContentType },
  body: JSON.stringify({ result: 'error', description, code: wireCode(code, quirks) }),
  xiaomiCode: code,
});

export const redirectReply = (location: string, xiaomiCode?: number): Reply => ({
  status: 302,
  headers: { location, 'cache-control': 'no-store' },
  body: '',
  ...(xiaomiCode === undefined ? {} : { xiaomiCode }),
});

export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );

export const htmlReply = (status: number, body: string, xiaomiCode?: number): Reply => ({
  status,
  headers: { 'content-type': 'text/html;charset=UTF-8', 'cache-control': 'no-store' },
  body,
  ...(xiaomiCode === undefined ? {} : { xiaomiCode }),
});

/** The page Xiaomi shows instead of redirecting when it cannot trust the redirect URI. */
export const errorPageReply = (code: XiaomiCode, description: string): Reply =>
  htmlReply(
    400,
    page(
      'Xiaomi Account: error',
      `<h1>Authorization error</h1>
<p class="code" data-xiaomi-error="${code}">${code} ${xiaomiCodeNames[code]}</p>
<p>${escapeHtml(description)}</p>`,
    ),
    code,
  );

export const page = (title: string, content: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f5f5f5; margin: 0; color: #222; }
  main { max-width: 420px; margin: 48px auto; background: #fff; border-radius: 12px;
    padding: 28px 32px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  .brand { color: #ff6900; font-weight: 700; letter-spacing: .02em; }
  .fake { font-size: 12px; color: #888; }
  h1 { font-size: 20px; }
  fieldset { border: 1px solid #eee; border-radius: 8px; margin: 16px 0; }
  label { display: block; margin: 6px 0; }
  button { font-size: 16px; padding: 10px 20px; border-radius: 20px; border: 0; cursor: pointer; }
  button.allow { background: #ff6900; color: #fff; }
  button.deny { background: #eee; color: #333; }
  .code { font-family: monospace; color: #b00; }
</style>
</head>
<body><main>
<p class="brand">Xiaomi Account <span class="fake">(fake, local)</span></p>
${content}
</main></body>
</html>
`;
