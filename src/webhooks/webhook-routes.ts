/** /api/v1/webhooks: HTTP only; the work is WebhookService's. Managing webhooks needs `admin`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { callerOf } from '../auth/auth-plugin.js';
import { ErrorDetail, Unavailable, ValidationErrorBody } from '../plugins/http-bodies.js';
import {
  CreatedWebhook, CreateWebhookBody, DeliveriesQuerystring, DeliveryList, Webhook, WebhookIdParams, WebhookList,
} from './webhook-schemas.js';
import type { WebhookService } from './webhook-service.js';

const NotFound = ErrorDetail('Webhook subscription not found (or another tenant\'s)', 'Webhook subscription not found');

export function webhookRoutes(webhooks: WebhookService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const base = { tags: ['webhooks'] };
    app.post('/api/v1/webhooks', {
      config: { auth: 'admin' },
      schema: {
        ...base,
        summary: 'Subscribe a URL to events (the signing secret is shown once)',
        description: 'Events of the types named are POSTed to the URL, signed per Standard Webhooks (webhook-id, ' +
          'webhook-timestamp, webhook-signature), retried with backoff until acknowledged (2xx) or the retry window ends; ' +
          "each wallet's events arrive in order. Delivery starts with events committed after the subscription. The URL " +
          'must be http(s) and (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS) reach public addresses only (422 names the rule). See docs/events.md.',
        body: CreateWebhookBody,
        response: { 200: CreatedWebhook, 422: ValidationErrorBody, 503: Unavailable },
      },
    }, async (request) => webhooks.create(callerOf(request), request.body));

    app.get('/api/v1/webhooks', {
      config: { auth: 'admin' },
      schema: { ...base, summary: "The tenant's webhook subscriptions", response: { 200: WebhookList, 503: Unavailable } },
    }, async (request) => webhooks.list(callerOf(request)));

    app.get('/api/v1/webhooks/:webhook_id', {
      config: { auth: 'admin' },
      schema: { ...base, summary: 'One webhook subscription', params: WebhookIdParams,
        response: { 200: Webhook, 404: NotFound, 422: ValidationErrorBody, 503: Unavailable } },
    }, async (request) => webhooks.get(callerOf(request), request.params.webhook_id));

    app.delete('/api/v1/webhooks/:webhook_id', {
      config: { auth: 'admin' },
      schema: { ...base, summary: 'Delete a webhook subscription and its delivery records', params: WebhookIdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), 404: NotFound, 422: ValidationErrorBody, 503: Unavailable } },
    }, async (request, reply) => {
      await webhooks.remove(callerOf(request), request.params.webhook_id);
      return reply.code(204).send(null);
    });

    app.post('/api/v1/webhooks/:webhook_id/resume', {
      config: { auth: 'admin' },
      schema: { ...base, summary: 'Resume a paused subscription (its pending deliveries are retried at once)', params: WebhookIdParams,
        response: { 200: Webhook, 404: NotFound, 422: ValidationErrorBody, 503: Unavailable } },
    }, async (request) => webhooks.resume(callerOf(request), request.params.webhook_id));

    app.get('/api/v1/webhooks/:webhook_id/deliveries', {
      config: { auth: 'admin' },
      schema: { ...base, summary: 'Recent deliveries of a subscription, newest event first, with their state',
        params: WebhookIdParams, querystring: DeliveriesQuerystring,
        response: { 200: DeliveryList, 404: NotFound, 422: ValidationErrorBody, 503: Unavailable } },
    }, async (request) => webhooks.deliveries(callerOf(request), request.params.webhook_id, request.query.state, request.query.limit));
  };
}
