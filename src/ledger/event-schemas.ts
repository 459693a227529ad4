/** An event's shape, as the feed and the webhooks show it: validation, type and OpenAPI from one schema. */
import { Type, type Static } from 'typebox';
import { EVENT_TYPES, type EventType } from './event-names.js';

export const EventTypeSchema = Type.Unsafe<EventType>({ type: 'string', enum: [...EVENT_TYPES], examples: ['operation.succeeded'] });

export const EventItem = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Stable event id: the same in the feed and on every webhook attempt (deduplicate by it)' }),
  type: EventTypeSchema,
  wallet_id: Type.String({ format: 'uuid' }),
  seq: Type.Union([Type.Integer(), Type.Null()], { description: "The ledger row's position in its wallet (1, 2, 3, ...)" }),
  created_at: Type.String({ format: 'date-time', description: 'When the event was written, in the transaction that made the change' }),
  data: Type.Record(Type.String(), Type.Unknown(), {
    description: 'The object as the API shows it (for operation, transfer and reversal events: GET /api/v1/wallets/{wallet_id}/operations/{id} at that time)',
  }),
});
export type EventItem = Static<typeof EventItem>;

