/**
 * Bounded load with a client-side record of every answer. Each logical request (one intent:
 * wallet, type, amount, optional Idempotency-Key) has an amount unique within its wallet, so
 * every ledger row can later be traced to exactly one request. Requests with a key are retried
 * with the same key (on any live app) until the answer is definite; requests without a key are
 * sent once, as a careless client would.
 */
import { randomUUID } from 'node:crypto';
import type { OperationType } from '../bench/check/ledger-check.js';
import { formatCents } from '../src/lib/cents.js';
import type { Attempt, AttemptKind } from './attempt.js';
import { type App, postAttempt, sendWithRetries, sleep } from './post.js';
import { MoveLoad, type MoveShares } from './transfer-hold-load.js';

export interface LogicalRequest {
  walletId: string;
  type: OperationType;
  amount: string;
  key: string | null;
  attempts: Attempt[];
}

/** A GET of a wallet sent alongside the operations: must answer 200 or 503 {detail}, within a bound. */
export interface ReadAnswer {
  app: number;
  status: number;
  hasDetail: boolean;
  durationMs: number;
}

export interface Target {
  /** Live app URLs with their slot index (the suite kills and restarts apps). */
  apps(): { index: number; url: string }[];
}

export interface LoadOptions {
  hotWallets: string[];
  coldWallets: string[];
  /** Share of requests that go to a hot wallet. */
  hotShare: number;
  keyedShare: number;
  depositShare: number;
  concurrency: number;
  /** Upper bound on new logical requests per second (the load is bounded, not a benchmark). */
  ratePerSecond: number;
  requestTimeoutMs: number;
  keyedAttemptsMax: number;
  /** Share of load iterations that read a wallet instead of operating on it. */
  readShare: number;
  /** Transfers and holds among the same wallets (transfer-hold-load.ts); none when absent. */
  moves?: MoveShares;
}

/** A deposit's or withdrawal's 200 statuses: SUCCESS is applied (FAILED and PENDING are themselves). */
const applied = new Set(['SUCCESS']);

export class LoadDriver {
  readonly requests: LogicalRequest[] = [];
  readonly reads: ReadAnswer[] = [];
  private readonly nextCents = new Map<string, number>();
  private running = false;
  private workers: Promise<void>[] = [];
  private started = 0;
  private rr = 0;
  /** The transfers and hold flows sent (and their answers), beside the operations in `requests`. */
  readonly moves: MoveLoad;

  constructor(private readonly target: Target, private readonly options: LoadOptions) {
    this.moves = new MoveLoad({
      pickApp: (exclude) => this.pickApp(exclude), amountFor: (walletId) => this.amountFor(walletId),
      wallets: [...options.hotWallets, ...options.coldWallets], keyedShare: options.keyedShare,
      requestTimeoutMs: options.requestTimeoutMs, keyedAttemptsMax: options.keyedAttemptsMax,
    }, options.moves ?? { transferShare: 0, holdShare: 0 });
  }

  /** A new amount for this wallet: 0.01, 0.02, ... (never repeated within the wallet). */
  private amountFor(walletId: string): string {
    const cents = (this.nextCents.get(walletId) ?? 0) + 1;
    this.nextCents.set(walletId, cents);
    return formatCents(cents);
  }

  private pickApp(exclude?: number): { index: number; url: string } | undefined {
    const apps = this.target.apps().filter((a) => a.index !== exclude);
    const all = apps.length > 0 ? apps : this.target.apps();
    if (all.length === 0) return undefined;
    return all[this.rr++ % all.length];
  }

  /** Seeds: a large keyed deposit on every wallet, recorded like any request. */
  async seed(walletIds: string[], amount: string): Promise<void> {
    const queue = [...walletIds];
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        await this.run({ walletId: id, type: 'DEPOSIT', amount, key: `seed-${randomUUID()}`, attempts: [] });
      }
    }));
  }

  start(): void {
    this.running = true;
    const startedAt = performance.now();
    this.started = 0;
    const o = this.options;
    this.workers = Array.from({ length: o.concurrency }, async () => {
      while (this.running) {
        // Rate bound: request n may start no earlier than n / rate seconds after the start.
        const dueMs = (this.started / o.ratePerSecond) * 1000 - (performance.now() - startedAt);
        if (dueMs > 0) {
          await sleep(Math.min(dueMs, 50));
          continue;
        }
        this.started++;
        const hot = Math.random() < o.hotShare;
        const wallets = hot ? o.hotWallets : o.coldWallets;
        const walletId = wallets[Math.floor(Math.random() * wallets.length)]!;
        if (Math.random() < o.readShare) {
          await this.read(walletId);
          continue;
        }
        if (await this.moves.maybeRun(walletId, Math.random())) continue;
        await this.run({
          walletId,
          type: Math.random() < o.depositShare ? 'DEPOSIT' : 'WITHDRAW',
          amount: this.amountFor(walletId),
          key: Math.random() < o.keyedShare ? randomUUID() : null,
          attempts: [],
        });
      }
    });
  }

  /** Stops starting new requests and waits for the ones in flight (keyed retries included). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async run(request: LogicalRequest): Promise<void> {
    this.requests.push(request);
    await sendWithRetries({ key: request.key, attempts: request.attempts, attemptsMax: this.options.keyedAttemptsMax,
      pickApp: (exclude) => this.pickApp(exclude), send: (app) => this.send(app, request), noApp: (base) => base });
  }

  private async read(walletId: string): Promise<void> {
    const app = this.pickApp();
    if (!app) return;
    const startedAt = performance.now();
    try {
      const res = await fetch(`${app.url}/api/v1/wallets/${walletId}`, { signal: AbortSignal.timeout(this.options.requestTimeoutMs) });
      const body = await res.json().catch(() => ({})) as { detail?: unknown };
      this.reads.push({ app: app.index, status: res.status, hasDetail: typeof body.detail === 'string',
        durationMs: performance.now() - startedAt });
    } catch {
      this.reads.push({ app: app.index, status: 0, hasDetail: false, durationMs: performance.now() - startedAt });
    }
  }

  private async send(app: App, request: LogicalRequest): Promise<Attempt> {
    const { body, bodyStatus: _, ...attempt } = await postAttempt(app, `/api/v1/wallets/${request.walletId}/operation`,
      { operation_type: request.type, amount: request.amount }, request.key, this.options.requestTimeoutMs, applied);
    return attempt.kind === 'SUCCESS' || attempt.kind === 'FAILED' || attempt.kind === 'PENDING'
      ? { ...attempt, kind: body!.status as AttemptKind, balance: body!.balance as string | null } : attempt;
  }
}
