/**
 * Browser-facing hardening. Every answer: no MIME sniffing (a JSON error quoting user input must
 * never be rendered as HTML); when the service itself serves HTTPS (TLS_CERT_FILE), HSTS, so a
 * browser that has been here once never again sends a key over plain HTTP to this host. The Swagger UI under /docs, the one HTML application we serve with
 * third-party code: no framing (clickjacking), no referrer, isolated from other origins, and the
 * content security policy below (the UI plugin's own static policy is off: see why below).
 */
import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/docs';

/**
 * The one policy for /docs. Swagger UI needs its own scripts, inline styles and data: images;
 * everything else is refused, including any third party (the spec validator's badge is off).
 * No `upgrade-insecure-requests`: the service is reached over plain HTTP by names other than
 * localhost (a load balancer, a container name, 127.0.0.2), where that directive makes the browser
 * fetch the UI's scripts over https and the page stays blank. Where TLS ends in front of the
 * service, the service cannot know whether the client used it.
 */
export const docsContentSecurityPolicy = [
  "default-src 'self'", "base-uri 'self'", "connect-src 'self'", "font-src 'self' data:", "form-action 'self'",
  "frame-ancestors 'none'", "img-src 'self' data:", "object-src 'none'", "script-src 'self'", "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

const isDocsPath = (path: string) => path === DOCS_PREFIX || path.startsWith(`${DOCS_PREFIX}/`);

/** One year, the value HSTS preload lists ask for; no includeSubDomains: other hosts of the domain are not ours to decide. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

export function registerSecurityHeaders(app: FastifyInstance, { strictTransportSecurity }: { strictTransportSecurity: boolean }): void {
  // Callback style: an async hook would cost every request a promise (issue 12's profile).
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (strictTransportSecurity) void reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY);
    if (request.url.startsWith(DOCS_PREFIX) && isDocsPath(request.url.split('?', 1)[0] ?? '')) {
      void reply
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-opener-policy', 'same-origin')
        .header('cross-origin-resource-policy', 'same-origin')
        .header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
      void reply.header('content-security-policy', docsContentSecurityPolicy);
    }
    done(null, payload);
  });
}
