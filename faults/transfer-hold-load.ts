/**
 * The fault suite's transfers and holds, sent from the same load loop as the deposits and
 * withdrawals (load.ts) and on the same wallets, so that they share batches, locks and faults.
 * Each request's amount comes from the wallet's one counter (unique within the source wallet,
 * whatever the type), so an unanswered transfer or hold can be traced to its ledger or holds row
 * as the operations are. A hold flow places a hold and, once it is HELD, captures it (all or
 * half) or voids it. Requests with a key are retried with it (on any live app) until the answer
 * is definite; those without one are sent once.
 */
import { randomUUID } from 'node:crypto';
import { formatCents, parseCents } from '../src/lib/cents.js';
import { type PostedAttempt, postAttempt, sendWithRetries, sleep } from './post.js';

/** An attempt of a transfer or hold request: the id the answer named, the status (SUCCESS, HELD, CAPTURED, VOIDED, FAILED, PENDING) and body it gave. */
export interface MoveAttempt extends PostedAttempt {
  /** PENDING only: the stored state GET /transfers/{id} or /holds/{id} gave afterwards (ABSENT for 404). */
  resolved?: string;
}

export interface TransferRequest {
  fromWalletId: string;
  toWalletId: string;
  amount: string;
  key: string | null;
  attempts: MoveAttempt[];
}

export interface HoldClose {
  kind: 'capture' | 'void';
  /** capture only: the amount asked for (undefined: all of it). */
  amount: string | undefined;
  key: string | null;
  attempts: MoveAttempt[];
}

export interface HoldFlow {
  walletId: string;
  amount: string;
  key: string | null;
  place: MoveAttempt[];
  /** Sent only once the place was answered HELD. */
  close?: HoldClose;
}

export interface MoveShares {
  /** Share of load iterations that transfer from the chosen wallet to another of the run's wallets. */
  transferShare: number;
  /** Share of load iterations that place a hold on the chosen wallet (then capture or void it). */
  holdShare: number;
}

/** What the load loop lends: the live apps, the wallets' amount counter and the request bounds. */
export interface MoveIo {
  pickApp(exclude?: number): { index: number; url: string } | undefined;
  amountFor(walletId: string): string;
  wallets: readonly string[];
  keyedShare: number;
  requestTimeoutMs: number;
  keyedAttemptsMax: number;
}

const holdExpiresInSeconds = 3600;

/** 200 body statuses that mean "applied as asked". */
const appliedStatuses = new Set(['SUCCESS', 'HELD', 'CAPTURED', 'VOIDED']);

export class MoveLoad {
  readonly transfers: TransferRequest[] = [];
  readonly holds: HoldFlow[] = [];

  constructor(private readonly io: MoveIo, private readonly shares: MoveShares) {}

  /** Runs a transfer or a hold flow for this iteration's draw, or returns false (the caller operates instead). */
  async maybeRun(walletId: string, draw: number): Promise<boolean> {
    if (draw < this.shares.transferShare) {
      await this.transfer(walletId);
      return true;
    }
    if (draw < this.shares.transferShare + this.shares.holdShare) {
      await this.holdFlow(walletId);
      return true;
    }
    return false;
  }

  private keyOrNull(): string | null {
    return Math.random() < this.io.keyedShare ? randomUUID() : null;
  }

  private async transfer(fromWalletId: string): Promise<void> {
    const others = this.io.wallets.filter((w) => w !== fromWalletId);
    const toWalletId = others[Math.floor(Math.random() * others.length)]!;
    const request: TransferRequest = { fromWalletId, toWalletId, amount: this.io.amountFor(fromWalletId), key: this.keyOrNull(), attempts: [] };
    this.transfers.push(request);
    await this.retry(request.key, request.attempts, '/api/v1/transfers',
      { from_wallet_id: fromWalletId, to_wallet_id: toWalletId, amount: request.amount });
  }

  private async holdFlow(walletId: string): Promise<void> {
    const flow: HoldFlow = { walletId, amount: this.io.amountFor(walletId), key: this.keyOrNull(), place: [] };
    this.holds.push(flow);
    await this.retry(flow.key, flow.place, `/api/v1/wallets/${walletId}/holds`,
      { amount: flow.amount, expires_in_seconds: holdExpiresInSeconds });
    const held = flow.place.find((a) => a.kind === 'SUCCESS');
    if (!held?.operationId) return;
    const kind = Math.random() < 0.6 ? 'capture' : 'void';
    const cents = parseCents(flow.amount);
    const amount = kind === 'capture' && cents >= 2n && Math.random() < 0.5 ? formatCents(cents / 2n) : undefined;
    flow.close = { kind, amount, key: this.keyOrNull(), attempts: [] };
    await this.retry(flow.close.key, flow.close.attempts, `/api/v1/holds/${held.operationId}/${kind}`, amount ? { amount } : {});
  }

  private retry(key: string | null, attempts: MoveAttempt[], path: string, body: Record<string, unknown>): Promise<void> {
    return sendWithRetries({ key, attempts, attemptsMax: this.io.keyedAttemptsMax, pickApp: (exclude) => this.io.pickApp(exclude),
      send: (app) => postAttempt(app, path, body, key, this.io.requestTimeoutMs, appliedStatuses), noApp: (base) => base });
  }
}

/**
 * Every PENDING transfer or hold answer looked up until the stored state is known: GET
 * /transfers/{id} (its status, or ABSENT on 404) and GET /holds/{id} (HELD, CAPTURED, VOIDED,
 * REJECTED, or ABSENT). A capture's or void's PENDING is looked up on its hold.
 */
export async function resolveMovesPending(apps: () => Array<{ url: string }>, moves: MoveLoad, boundMs: number): Promise<void> {
  const deadline = performance.now() + boundMs;
  const lookups: Array<{ attempt: MoveAttempt; path: string }> = [
    ...moves.transfers.flatMap((t) => t.attempts.map((attempt) => ({ attempt, path: `/api/v1/transfers/${attempt.operationId}` }))),
    ...moves.holds.flatMap((h) => h.place.map((attempt) => ({ attempt, path: `/api/v1/holds/${attempt.operationId}` }))),
    ...moves.holds.flatMap((h) => (h.close?.attempts ?? []).map((attempt) => ({ attempt, path: `/api/v1/holds/${attempt.operationId}` }))),
  ].filter((l) => l.attempt.kind === 'PENDING');
  for (const { attempt, path } of lookups) {
    attempt.resolved = 'UNRESOLVED';
    while (attempt.resolved === 'UNRESOLVED' && performance.now() < deadline) {
      const app = apps()[0];
      try {
        const res = await fetch(`${app!.url}${path}`, { signal: AbortSignal.timeout(10_000) });
        if (res.status === 404) attempt.resolved = 'ABSENT';
        else if (res.status === 200) attempt.resolved = String(((await res.json()) as { status: string }).status);
      } catch { /* retry */ }
      if (attempt.resolved === 'UNRESOLVED') await sleep(200);
    }
  }
}
