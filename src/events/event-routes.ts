/** GET /api/v1/events: HTTP only, the page comes from EventService. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callerOf } from '../auth/auth-plugin.js';
import { Unavailable, ValidationErrorBody } from '../plugins/http-bodies.js';
import { EventsPage, EventsQuerystring } from './event-schemas.js';
import type { EventService } from './event-service.js';

export function eventRoutes(events: EventService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/api/v1/events', {
      config: { auth: 'wallets:read' },
      schema: {
        tags: ['events'],
        summary: "The tenant's ledger events, oldest first (transactional outbox)",
        description: 'One event per ledger change, written in the same transaction (an event exists if and only if the ' +
          'change committed). Follow next_cursor and keep polling with it: an event that commits later never lands ' +
          'behind a cursor already handed out, and each wallet\'s events come in its seq order. Filters: wallet_id, type. ' +
          'See docs/events.md.',
        querystring: EventsQuerystring,
        response: { 200: EventsPage, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => events.listEvents({
      caller: callerOf(request),
      cursor: request.query.cursor,
      limit: request.query.limit,
      walletId: request.query.wallet_id,
      type: request.query.type,
    }));
  };
}
