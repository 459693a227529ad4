/**
 * Webhook subscriptions of the caller's tenant: create (check the URL → make and seal a secret →
 * insert → show the secret once), list, get, delete, resume, and list recent deliveries.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../ledger/tables.js';
import type { Logger } from '../lib/logger.js';
import type { RetryPolicy } from '../lib/retry.js';
import type { Caller } from '../ledger/caller.js';
import { readWithRetry } from '../ledger/read-retry.js';
import { InvalidInput, WebhookNotFound } from '../ledger/errors.js';
import * as repo from './webhook-repository.js';
import { newWebhookSecret, type SecretBox } from './secret-box.js';
import type { CreatedWebhook, CreateWebhookBody, Delivery, Webhook } from './webhook-schemas.js';
import { addressProblem, urlSyntaxProblem } from './webhook-url.js';

export interface WebhookServiceOptions {
  allowPrivateNetworks: boolean;
  subscriptionsPerTenantMax: number;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function view(row: repo.SubscriptionRow): Webhook {
  return {
    id: row.id, url: row.url, event_types: row.event_types, description: row.description, created_at: row.created_at.toISOString(),
    paused_at: iso(row.paused_at), consecutive_failures: row.consecutive_failures,
  };
}

function deliveryView(row: repo.DeliveryRow): Delivery {
  return {
    event_id: row.event_id, event_type: row.event_type, wallet_id: row.wallet_id, state: row.state, attempts: row.attempts,
    next_attempt_at: iso(row.next_attempt_at), last_attempt_at: iso(row.last_attempt_at),
    last_status: row.last_status, last_error: row.last_error, created_at: row.created_at.toISOString(), completed_at: iso(row.completed_at),
  };
}

const urlInvalid = (msg: string) => new InvalidInput([{ loc: ['body', 'url'], msg, type: 'value_error' }]);

export class WebhookService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    private readonly options: WebhookServiceOptions,
    private readonly readPolicy: RetryPolicy,
    private readonly log: Logger,
  ) {}

  async create(caller: Caller, body: CreateWebhookBody): Promise<CreatedWebhook> {
    const problem = urlSyntaxProblem(body.url) ?? await addressProblem(body.url, this.options.allowPrivateNetworks);
    if (problem) throw urlInvalid(problem);
    const id = randomUUID();
    const secret = newWebhookSecret();
    const row = await this.read(() => repo.insertSubscription(this.db, {
      id, tenant: caller.tenant, url: body.url, eventTypes: body.event_types ?? [repo.EVERY_TYPE], secret: this.secrets.seal(secret, id),
      description: body.description ?? null, perTenantMax: this.options.subscriptionsPerTenantMax,
    }));
    if (!row) {
      throw new InvalidInput([{ loc: ['body'], msg: `At most ${this.options.subscriptionsPerTenantMax} webhook subscriptions per tenant`,
        type: 'value_error' }]);
    }
    return { ...view(row), secret };
  }

  async list(caller: Caller): Promise<{ items: Webhook[] }> {
    return { items: (await this.read(() => repo.findSubscriptions(this.db, caller.tenant))).map(view) };
  }

  async get(caller: Caller, id: string): Promise<Webhook> {
    return view(await this.find(caller, id));
  }

  async remove(caller: Caller, id: string): Promise<void> {
    if (!(await this.read(() => repo.deleteSubscription(this.db, caller.tenant, id)))) throw new WebhookNotFound();
  }

  async resume(caller: Caller, id: string): Promise<Webhook> {
    const row = await this.read(() => repo.resumeSubscription(this.db, caller.tenant, id));
    if (!row) throw new WebhookNotFound();
    return view(row);
  }

  async deliveries(caller: Caller, id: string, state: repo.DeliveryState | undefined, limit: number): Promise<{ items: Delivery[] }> {
    await this.find(caller, id);
    return { items: (await this.read(() => repo.findDeliveries(this.db, id, state, limit))).map(deliveryView) };
  }

  private async find(caller: Caller, id: string): Promise<repo.SubscriptionRow> {
    const [row] = await this.read(() => repo.findSubscriptions(this.db, caller.tenant, id));
    if (!row) throw new WebhookNotFound();
    return row;
  }

  private read<T>(work: () => Promise<T>): Promise<T> {
    return readWithRetry(this.readPolicy, this.log, work);
  }
}
