/** The feed's schemas: validation, types (Static) and OpenAPI from one source. */
import { Type, type Static } from 'typebox';
import { EventItem, EventTypeSchema } from '../ledger/event-schemas.js';
import { walletIdExample } from '../ledger/ledger-schemas.js';

export const EVENTS_LIMIT_MAX = 500;
export const EVENTS_LIMIT_DEFAULT = 100;

const cursorExample = 'eyJ2IjoxLCJ0IjoiYWNtZSIsIngiOiI3NDIiLCJwIjoiMTAyNCJ9';

export const EventsQuerystring = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: EVENTS_LIMIT_MAX, default: EVENTS_LIMIT_DEFAULT,
    description: `Page size, 1-${EVENTS_LIMIT_MAX}`, examples: [EVENTS_LIMIT_DEFAULT] }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512,
    description: 'Opaque: the next_cursor of the previous page (absent: from the oldest event kept).', examples: [cursorExample] })),
  wallet_id: Type.Optional(Type.String({ format: 'uuid', description: 'Only this wallet\'s events', examples: [walletIdExample] })),
  type: Type.Optional(EventTypeSchema),
});
export type EventsQuerystring = Static<typeof EventsQuerystring>;

const exampleItem = {
  id: '0f8b7c52-4d0e-3a1f-9b6e-2c1d5e7a8b90', type: 'operation.succeeded', wallet_id: walletIdExample, seq: 7,
  created_at: '2026-11-25T12:00:00.012Z',
  data: { id: '9b2e7c4d-1f3a-4e6b-8c9d-0a1b2c3d4e5f', wallet_id: walletIdExample, operation_type: 'DEPOSIT', amount: '100.00',
    status: 'SUCCESS', balance: '250.00', created_at: '2026-11-25T12:00:00.000Z' },
};

export const EventsPage = Type.Object({
  items: Type.Array(EventItem),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as ?cursor= to continue after this page; keep polling with it (an empty page returns the same cursor). ' +
      'null only when nothing was served yet and no cursor was given.',
  }),
}, { examples: [{ items: [exampleItem], next_cursor: cursorExample }] });
export type EventsPage = Static<typeof EventsPage>;
