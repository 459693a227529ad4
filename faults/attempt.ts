/**
 * One answer to one POST of the fault load, as the checkers read it: the types every part of the
 * load shares (post.ts sends and classifies, load.ts and transfer-hold-load.ts drive, check.ts
 * judges), kept below all of them so that their imports run one way.
 */
export type AttemptKind = 'SUCCESS' | 'FAILED' | 'PENDING' | 'REJECTED_400' | 'OVERLOADED_503' | 'NO_RESPONSE' | 'UNEXPECTED';

export interface Attempt {
  app: number;
  kind: AttemptKind;
  status: number;
  /** The operation id the answer named (SUCCESS, FAILED, PENDING). */
  operationId?: string;
  balance?: string | null;
  replayed: boolean;
  detail?: string;
  startedAt: number;
  endedAt: number;
  /** PENDING only: what GET /operations/{id} said afterwards. */
  resolved?: 'SUCCESS' | 'REJECTED' | 'ABSENT' | 'UNRESOLVED';
}
