/** Webhook endpoints' schemas: validation, types (Static) and OpenAPI from one source. */
import { Type, type Static } from 'typebox';
import { EVENT_TYPES } from '../ledger/event-names.js';
import { EventTypeSchema } from '../ledger/event-schemas.js';
import { DELIVERY_STATES, type DeliveryState, EVERY_TYPE, type SubscribedType } from './webhook-repository.js';

const idExample = '6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const created = '2026-11-25T12:00:00.000Z';

export const DELIVERIES_LIMIT_MAX = 500;

export const WebhookIdParams = Type.Object({
  webhook_id: Type.String({ format: 'uuid', description: 'Subscription id (UUID)', examples: [idExample] }),
});
export type WebhookIdParams = Static<typeof WebhookIdParams>;

const SubscribedTypeSchema = Type.Unsafe<SubscribedType>({ type: 'string', enum: [EVERY_TYPE, ...EVENT_TYPES], examples: ['operation.succeeded'] });

export const CreateWebhookBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL that receives POSTed events', examples: ['https://example.com/hooks/wallets'] }),
  event_types: Type.Optional(Type.Array(SubscribedTypeSchema, {
    minItems: 1, uniqueItems: true,
    description: 'The event types to send; `["*"]` (also when omitted): every type, including types added later',
  })),
  description: Type.Optional(Type.String({ maxLength: 200 })),
}, { examples: [{ url: 'https://example.com/hooks/wallets', event_types: ['operation.succeeded', 'transfer.sent'] },
  { url: 'https://example.com/hooks/everything', event_types: ['*'] }] });
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

const subscriptionFields = {
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  event_types: Type.Array(SubscribedTypeSchema, { description: 'The event types sent; `*`: every type' }),
  description: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  paused_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'Set when WEBHOOK_PAUSE_AFTER_FAILURES attempts in a row failed: nothing is sent until POST .../resume' }),
  consecutive_failures: Type.Integer(),
};
const example = { id: idExample, url: 'https://example.com/hooks/wallets', event_types: ['operation.succeeded'], description: null,
  created_at: created, paused_at: null, consecutive_failures: 0 };

export const Webhook = Type.Object(subscriptionFields, { examples: [example] });
export type Webhook = Static<typeof Webhook>;

export const CreatedWebhook = Type.Object({
  ...subscriptionFields,
  secret: Type.String({ description: 'Signing secret (Standard Webhooks, whsec_...). Shown only here: store it now.' }),
}, { examples: [{ ...example, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }] });
export type CreatedWebhook = Static<typeof CreatedWebhook>;

export const WebhookList = Type.Object({ items: Type.Array(Webhook) }, { examples: [{ items: [example] }] });

export const DeliveriesQuerystring = Type.Object({
  state: Type.Optional(Type.Unsafe<DeliveryState>({ type: 'string', enum: [...DELIVERY_STATES], examples: ['failed'] })),
  limit: Type.Integer({ minimum: 1, maximum: DELIVERIES_LIMIT_MAX, default: 50, examples: [50] }),
});

export const Delivery = Type.Object({
  event_id: Type.String({ format: 'uuid' }),
  event_type: EventTypeSchema,
  wallet_id: Type.String({ format: 'uuid' }),
  state: Type.Unsafe<DeliveryState>({ type: 'string', enum: [...DELIVERY_STATES],
    description: 'pending (waiting, being sent or retrying), delivered (a 2xx answer), failed (retry window exhausted)' }),
  attempts: Type.Integer(),
  next_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When pending: the next attempt, at the earliest' }),
  last_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  last_status: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last attempt; null: no answer' }),
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  completed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Delivery = Static<typeof Delivery>;

export const DeliveryList = Type.Object({ items: Type.Array(Delivery) }, {
  examples: [{ items: [{ event_id: '0f8b7c52-4d0e-3a1f-9b6e-2c1d5e7a8b90', event_type: 'operation.succeeded',
    wallet_id: '3f1c6b1e-8a8e-4c55-9a58-1b2f2d3e4a5b', state: 'delivered', attempts: 2, next_attempt_at: null,
    last_attempt_at: created, last_status: 200, last_error: null, created_at: created, completed_at: created }] }],
});
