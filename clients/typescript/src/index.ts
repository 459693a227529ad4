/**
 * @wallet-service/client: the generated client for every endpoint (`raw`, openapi-fetch over the
 * types openapi-typescript generates from the service's OpenAPI document) and a thin layer for
 * what a generator cannot know: Idempotency-Keys and safe retries (retrying-fetch.ts), typed
 * errors (errors.ts), `resolve` for a PENDING answer, and async iterators over paged lists.
 * Money is a decimal string everywhere, never a JS number.
 */
import createClient, { type Client } from 'openapi-fetch';
import { errorFor } from './errors.js';
import { DEFAULT_RETRY, idempotencyMiddleware, type RetryOptions, retryingFetch } from './retrying-fetch.js';
import type { paths } from './schema.js';

export * from './errors.js';
export type { RetryOptions } from './retrying-fetch.js';
export type { components, operations, paths } from './schema.js';

type Method = 'get' | 'post';
type Ok<P extends keyof paths, M extends Method> =
  NonNullable<paths[P][M]> extends { responses: { 200: { content: { 'application/json': infer T } } } } ? T : never;
type Body<P extends keyof paths, M extends Method> =
  NonNullable<paths[P][M]> extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;
type Query<P extends keyof paths> =
  NonNullable<paths[P]['get']> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type Wallet = Ok<'/api/v1/wallets/{wallet_id}', 'get'>;
export type Operation = Ok<'/api/v1/wallets/{wallet_id}/operation', 'post'>;
export type OperationRequest = Body<'/api/v1/wallets/{wallet_id}/operation', 'post'>;
export type WalletRequest = Body<'/api/v1/wallets', 'post'>;
export type Transfer = Ok<'/api/v1/transfers', 'post'>;
export type TransferRequest = Body<'/api/v1/transfers', 'post'>;
export type Hold = Ok<'/api/v1/wallets/{wallet_id}/holds', 'post'>;
export type HoldRequest = Body<'/api/v1/wallets/{wallet_id}/holds', 'post'>;
export type CaptureRequest = Body<'/api/v1/holds/{hold_id}/capture', 'post'>;
export type HistoryEntry = Ok<'/api/v1/wallets/{wallet_id}/operations', 'get'>['items'][number];
export type HistoryFilters = Omit<Query<'/api/v1/wallets/{wallet_id}/operations'>, 'cursor' | 'limit'>;
export type LedgerEvent = Ok<'/api/v1/events', 'get'>['items'][number];
export type EventFilters = Omit<Query<'/api/v1/events'>, 'cursor' | 'limit'>;

export interface WalletClientOptions {
  /** Where the service is, e.g. `http://localhost:8000`. */
  baseUrl: string;
  /** `wsk_...` (omit for a service in the open mode). */
  apiKey?: string;
  /** Another fetch (a test double, a proxy agent); default globalThis.fetch. */
  fetch?: typeof fetch;
  retry?: Partial<RetryOptions>;
  /** How long resolve() polls, and how often. */
  resolveTimeoutMs?: number;
  resolveIntervalMs?: number;
  /** Items per page the iterators ask for (1 to 500). */
  pageSize?: number;
}

export interface PostOptions {
  /** Reuse the key of an earlier attempt to retry it safely; generated when omitted. */
  idempotencyKey?: string;
}

/** Items per page the iterators ask for by default (the service's maximum). */
const PAGE_SIZE_MAX = 500;

/** The data of a 2xx answer, or the typed error for any other. */
async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw errorFor(response, error);
  return data as T;
}

const keyHeader = (options: PostOptions | undefined) =>
  (options?.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}) as { 'idempotency-key'?: string };

export function createWalletClient(options: WalletClientOptions) {
  const send = retryingFetch(options.fetch ?? globalThis.fetch.bind(globalThis), { ...DEFAULT_RETRY, ...options.retry });
  const raw: Client<paths> = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: send,
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
  });
  raw.use(idempotencyMiddleware);
  const limit = options.pageSize ?? PAGE_SIZE_MAX;

  /**
   * Every item of every page, fetching the next page only when the caller gets there. Ends at the
   * last page (no next_cursor) or at an empty one: the event feed always gives a cursor to poll on.
   */
  async function* pages<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor?: string | null }>): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const { items, next_cursor: next } = await page(cursor);
      yield* items;
      cursor = items.length > 0 ? next ?? undefined : undefined;
    } while (cursor);
  }

  const wallets = {
    /** In the default currency with no body; or with a currency, limits, metadata, an external id. */
    create: (body: WalletRequest = {}) => unwrap(raw.POST('/api/v1/wallets', { body })),
    get: (walletId: string) => unwrap(raw.GET('/api/v1/wallets/{wallet_id}', { params: { path: { wallet_id: walletId } } })),
    /** A deposit or withdrawal: SUCCESS, FAILED (certainly not applied) or PENDING (see resolve). */
    operate: (walletId: string, body: OperationRequest, opts?: PostOptions) => unwrap(raw.POST('/api/v1/wallets/{wallet_id}/operation', {
      params: { path: { wallet_id: walletId }, header: keyHeader(opts) }, body,
    })),
    operation: (walletId: string, operationId: string) => unwrap(raw.GET('/api/v1/wallets/{wallet_id}/operations/{operation_id}', {
      params: { path: { wallet_id: walletId, operation_id: operationId } },
    })),
    /** Every operation of the wallet, newest first, page by page. */
    history: (walletId: string, filters: HistoryFilters = {}): AsyncGenerator<HistoryEntry> => pages((cursor) =>
      unwrap(raw.GET('/api/v1/wallets/{wallet_id}/operations', {
        params: { path: { wallet_id: walletId }, query: { ...filters, limit, ...(cursor ? { cursor } : {}) } },
      }))),
  };

  const transfers = {
    create: (body: TransferRequest, opts?: PostOptions) =>
      unwrap(raw.POST('/api/v1/transfers', { params: { header: keyHeader(opts) }, body })),
    get: (transferId: string) => unwrap(raw.GET('/api/v1/transfers/{transfer_id}', { params: { path: { transfer_id: transferId } } })),
  };

  const holds = {
    place: (walletId: string, body: HoldRequest, opts?: PostOptions) => unwrap(raw.POST('/api/v1/wallets/{wallet_id}/holds', {
      params: { path: { wallet_id: walletId }, header: keyHeader(opts) }, body,
    })),
    capture: (holdId: string, body: CaptureRequest = {}, opts?: PostOptions) => unwrap(raw.POST('/api/v1/holds/{hold_id}/capture', {
      params: { path: { hold_id: holdId }, header: keyHeader(opts) }, body,
    })),
    void: (holdId: string, opts?: PostOptions) => unwrap(raw.POST('/api/v1/holds/{hold_id}/void', {
      params: { path: { hold_id: holdId }, header: keyHeader(opts) },
    })),
    get: (holdId: string) => unwrap(raw.GET('/api/v1/holds/{hold_id}', { params: { path: { hold_id: holdId } } })),
  };

  const events = {
    /**
     * The tenant's events (or one wallet's, or one type's) in feed order, page by page, from the
     * start or from `cursor`, until the feed is caught up (docs/events.md).
     */
    list: ({ cursor: from, ...filters }: EventFilters & { cursor?: string } = {}): AsyncGenerator<LedgerEvent> => pages((cursor) =>
      unwrap(raw.GET('/api/v1/events', { params: { query: { ...filters, limit, ...((cursor ?? from) ? { cursor: cursor ?? from } : {}) } } }))),
  };

  /** The GET that tells what became of a money-movement answer (README: 200 applied, 404 not). */
  function lookUp<T extends Operation | Transfer | Hold>(answer: T): Promise<T> {
    if ('from_wallet_id' in answer) return transfers.get(answer.id) as Promise<T>;
    if ('expires_at' in answer) return holds.get(answer.id) as Promise<T>;
    return wallets.operation(answer.wallet_id, answer.id) as Promise<T>;
  }

  /**
   * The final state of a PENDING answer: polls its GET until it is known, bounded by
   * resolveTimeoutMs. Returns the stored answer when applied, null when the service has no
   * record of it (certainly not applied: a retry with the same Idempotency-Key may apply it).
   * Any other answer is returned as it is. For a capture or void, the hold's state.
   */
  async function resolve<T extends Operation | Transfer | Hold>(answer: T): Promise<T | null> {
    if (answer.status !== 'PENDING') return answer;
    const deadline = Date.now() + (options.resolveTimeoutMs ?? 30_000);
    for (;;) {
      try {
        const found = await lookUp(answer);
        if (found.status !== 'PENDING') return found;
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        if (Date.now() >= deadline) throw error;
      }
      if (Date.now() >= deadline) return answer;
      await new Promise((r) => setTimeout(r, options.resolveIntervalMs ?? 500));
    }
  }

  return { wallets, transfers, holds, events, resolve, raw };
}

export type WalletClient = ReturnType<typeof createWalletClient>;
