/** OpenAPI at /openapi.json and Swagger UI at /docs, its assets served by us (works offline). */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { SECURITY_SCHEME } from '../auth/auth-plugin.js';

export async function registerSwagger(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'wallet-service',
        version: '0.1.0',
        description: 'Digital wallets with exact decimal money on PostgreSQL. Money is always a string with two ' +
          'decimals. Errors are `{"detail": ...}`; validation errors follow FastAPI\'s 422 shape.',
      },
      tags: [{ name: 'wallets', description: 'Wallets and their operations' },
        { name: 'transfers', description: 'Money moved between two wallets of the caller\'s tenant' },
        { name: 'holds', description: 'Two-phase payments: reserve part of the available balance, then capture or void it' },
        { name: 'events', description: 'Ledger events: the pull feed (docs/events.md)' },
        { name: 'webhooks', description: 'Signed webhook subscriptions and their deliveries (docs/events.md)' },
        { name: 'service', description: 'Health' }],
      // Routes that need a key say so (security, 401/403/429) through src/auth/auth-plugin.ts.
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'http', scheme: 'bearer', bearerFormat: 'wsk_<key id>_<secret>',
            description: 'API key: `Authorization: Bearer wsk_...` (`npm run keys -- create`; see docs/access-control.md)',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The plugin's static policy carries upgrade-insecure-requests, which blanks the page over
    // plain HTTP by any name but localhost; security-headers.ts sets the policy for all of /docs.
    staticCSP: false,
    // No validator badge: it would send the spec's URL to validator.swagger.io.
    uiConfig: { deepLinking: true, docExpansion: 'list', validatorUrl: null, persistAuthorization: false },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
