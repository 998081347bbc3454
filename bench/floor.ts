// The floor of the CPU figures: the HTTP calls of one sign-in and nothing else, on Node's own client
// with a keep-alive agent. No Logto around it, no retries, no time limits, no redaction, no checks
// of what comes back beyond JSON.parse: what any connector pays before it does its own work.
import http from 'node:http';
import https from 'node:https';

type Json = { access_token: string; data: { unionId: string } };

export const bareSignInWith = (
  { clientId, clientSecret }: { clientId: string; clientSecret: string },
  scope: string,
  origin: string,
  redirectUri: string,
) => {
  const client = origin.startsWith('https:') ? https : http;
  const agent = new client.Agent({ keepAlive: true, scheduling: 'lifo' });
  const call = (url: string, form?: string) =>
    new Promise<Json>((resolve, reject) => {
      const headers = form ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
      const options = { method: form ? 'POST' : 'GET', agent, headers };
      const request = client.request(url, options, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        // The token answer's `&&&START&&&` prefix is the one thing JSON.parse cannot skip.
        response.on('end', () => resolve(JSON.parse(text.slice(text.indexOf('{'))) as Json));
      });
      request.on('error', reject).end(form);
    });
  // Scope `1 3 4 6`: the two optional calls at once with the profile, as this package makes them.
  const paths = scope === '1' ? ['profile'] : ['profile', 'openIdV2', 'phoneAndEmail'];
  return async (code: string) => {
    const form = new URLSearchParams({ client_id: clientId, client_secret: clientSecret });
    form.set('redirect_uri', redirectUri);
    form.set('grant_type', 'authorization_code');
    form.set('code', code);
    const token = await call(`${origin}/oauth2/token`, form.toString());
    const query = new URLSearchParams({ clientId, token: token.access_token });
    const [profile] = await Promise.all(
      paths.map((path) => call(`${origin}/user/${path}?${query}`)),
    );
    return { id: profile!.data.unionId };
  };
};
