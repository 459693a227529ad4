/**
 * Browser-facing hardening. Every answer: no MIME sniffing (a JSON error quoting user input must
 * never be rendered as HTML). The Swagger UI under /docs, the one HTML application we serve with
 * third-party code: no framing (clickjacking), no referrer, isolated from other origins, and a
 * content security policy if the UI plugin did not set its own stricter one for a file.
 */
import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/docs';

/** Swagger UI needs inline styles and its own scripts; everything else is refused. */
const docsContentSecurityPolicy = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; " +
  "img-src 'self' data: validator.swagger.io; object-src 'none'; script-src 'self'; style-src 'self' https: 'unsafe-inline'";

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    const path = request.url.split('?', 1)[0] ?? '';
    if (path === DOCS_PREFIX || path.startsWith(`${DOCS_PREFIX}/`)) {
      void reply
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-opener-policy', 'same-origin')
        .header('cross-origin-resource-policy', 'same-origin')
        .header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
      if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', docsContentSecurityPolicy);
    }
    return payload;
  });
}
