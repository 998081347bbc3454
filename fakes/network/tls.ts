import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A self-signed certificate for the fake Xiaomi over HTTPS, for tests only: valid until 2126 for
 * `xiaomi.invalid`, `*.xiaomi.invalid` and 127.0.0.1, and its own CA, so a process started with
 * `NODE_EXTRA_CA_CERTS=<certFile>` trusts it, as a self-hoster's Logto trusts a private CA.
 * Made with:
 *   openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 36500 \
 *     -subj "/CN=Fake Xiaomi (tests only)" -addext "basicConstraints=critical,CA:TRUE" \
 *     -addext "subjectAltName=DNS:xiaomi.invalid,DNS:*.xiaomi.invalid,IP:127.0.0.1"
 */
export const certFile = fileURLToPath(new URL('tls/cert.pem', import.meta.url));

export const fakeTls = {
  cert: readFileSync(certFile, 'utf8'),
  key: readFileSync(fileURLToPath(new URL('tls/key.pem', import.meta.url)), 'utf8'),
};

/** A host name no resolver knows (RFC 6761): only a proxy that maps it reaches the fake. */
export const unresolvableHost = 'xiaomi.invalid';
