/**
 * GET /ready: the database answers and every changeset of the Liquibase changelog is recorded
 * as applied. The expected changesets are read from db/changelog itself at start-up, so adding
 * a change file needs no code change here. Answers 503 with the reason while not ready.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Type } from 'typebox';
import { changelogFile, projectRoot } from '../db/migrations.js';

export interface Changeset {
  author: string;
  id: string;
}

/** The changesets the master changelog includes (formatted-SQL `--changeset author:id` lines). */
export function expectedChangesets(masterPath = join(projectRoot, 'db', changelogFile)): Changeset[] {
  const master = readFileSync(masterPath, 'utf8');
  const changesets: Changeset[] = [];
  for (const match of master.matchAll(/^\s*file:\s*['"]?([^'"\s]+)['"]?\s*$/gm)) {
    const text = readFileSync(join(dirname(masterPath), match[1]!), 'utf8');
    for (const line of text.matchAll(/^--changeset\s+([^:\s]+):(\S+)/gm)) {
      changesets.push({ author: line[1]!, id: line[2]! });
    }
  }
  return changesets;
}

export interface ReadinessResult {
  ready: boolean;
  body: Record<string, unknown>;
}

export class ReadinessCheck {
  constructor(
    private readonly pool: pg.Pool,
    private readonly expected: readonly Changeset[],
    private readonly timeoutMs: number,
  ) {}

  async check(): Promise<ReadinessResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    let applied: Set<string>;
    try {
      const query = this.pool.query<{ key: string }>(
        `SELECT author || ':' || id AS key FROM databasechangelog`);
      query.catch(() => {}); // the race below may have settled already
      const result = await Promise.race([query, timeout]);
      applied = new Set(result.rows.map((r) => r.key));
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (e.code === '42P01') {
        return { ready: false, body: { status: 'not ready', database: 'ok', detail: 'Database schema not migrated' } };
      }
      if (e.code === '42501') {
        return { ready: false, body: { status: 'not ready', database: 'ok',
          detail: 'The app role may not read DATABASECHANGELOG (changeset 006 not applied?)' } };
      }
      return { ready: false, body: { status: 'not ready', database: 'unreachable', detail: 'Database unreachable' } };
    } finally {
      clearTimeout(timer);
    }
    const missing = this.expected.filter((c) => !applied.has(`${c.author}:${c.id}`)).map((c) => `${c.author}:${c.id}`);
    const changelog = { expected: this.expected.length, applied: this.expected.length - missing.length };
    if (missing.length > 0) {
      return { ready: false, body: { status: 'not ready', database: 'ok', changelog, missing,
        detail: 'Database changelog not fully applied' } };
    }
    return { ready: true, body: { status: 'ready', database: 'ok', changelog } };
  }
}

const readyBody = (example: Record<string, unknown>) => Type.Object({
  status: Type.String(),
  database: Type.String(),
  changelog: Type.Optional(Type.Object({ expected: Type.Integer(), applied: Type.Integer() })),
  missing: Type.Optional(Type.Array(Type.String())),
  detail: Type.Optional(Type.String()),
}, { examples: [example] });

export function registerReadiness(app: FastifyInstance, readiness: ReadinessCheck): void {
  app.get('/ready', {
    schema: {
      tags: ['service'],
      summary: 'Readiness: the database answers and the changelog is fully applied',
      response: {
        200: readyBody({ status: 'ready', database: 'ok', changelog: { expected: 3, applied: 3 } }),
        503: readyBody({ status: 'not ready', database: 'unreachable', detail: 'Database unreachable' }),
      },
    },
  }, async (_request, reply) => {
    const result = await readiness.check();
    return reply.code(result.ready ? 200 : 503).send(result.body);
  });
}
