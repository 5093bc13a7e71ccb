/**
 * Replaying dead letters after a pipeline is fixed: the handler of the admin action
 * `replay_dead_letters(pipeline, since, ids)` (hasura/metadata/actions.graphql), called by the
 * GraphQL server — Hasura or engine/ — at `/hooks/replay-dead-letters`.
 *
 * The chosen letters (of one pipeline, not replayed yet, created at or after `since`, among
 * `ids` when given) are locked, re-published to their source topic with their original key,
 * bytes and headers (acks from every in-sync replica), and marked replayed in the same
 * transaction: a letter is marked only once the broker has it, and two replays at once never
 * send the same letter (the second skips locked rows). A crash between the send and the commit
 * can send a letter twice; loading is idempotent per message only as the pipeline makes it.
 */
import type { Kafka, Message } from 'kafkajs';
import type pg from 'pg';
import { query, sql } from '@streamsync/database';
import { PartitionSender } from '../kafka/partition-sender.ts';

/** Most letters one call replays (the answer says how many it sent; call again for more). */
export const MAX_REPLAY = 10_000;

export interface ReplayInput {
  pipeline: string;
  since: string | null;
  ids: string[] | null;
}

export interface ReplayResult {
  sent: number;
  ids: number[];
}

/** The action's error answer (Hasura shows `message` and `code` to the caller). */
export class ReplayInputError extends Error {
  readonly status = 400;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Read the action payload's `input` (Hasura's `{action, input, session_variables}`). */
export function readReplayInput(body: unknown): ReplayInput {
  const input = (body as { input?: Record<string, unknown> } | null)?.input;
  if (!input || typeof input !== 'object')
    throw new ReplayInputError('expected an action payload with "input"', 'invalid-input');
  const { pipeline, since, ids } = input;
  if (typeof pipeline !== 'string' || pipeline === '')
    throw new ReplayInputError('"pipeline" must be a non-empty string', 'invalid-input');
  if (
    since !== undefined &&
    since !== null &&
    (typeof since !== 'string' || Number.isNaN(Date.parse(since)))
  )
    throw new ReplayInputError('"since" must be a timestamp', 'invalid-input');
  let idList: string[] | null = null;
  if (ids !== undefined && ids !== null) {
    if (!Array.isArray(ids) || !ids.every((x) => /^\d+$/.test(String(x))))
      throw new ReplayInputError('"ids" must be a list of dead letter ids', 'invalid-input');
    idList = ids.map((x) => String(x));
  }
  return { pipeline, since: typeof since === 'string' ? since : null, ids: idList };
}

/** Publishes replayed letters; connects on first use. */
export class Republisher {
  private sender: PartitionSender | null = null;

  constructor(private readonly kafka: Kafka) {}

  async send(topic: string, messages: Message[]): Promise<void> {
    if (!this.sender) {
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      // one send per partition: a broker's death must not lose a replayed letter
      this.sender = new PartitionSender(this.kafka, p);
    }
    await this.sender.send(topic, messages, { acks: -1 });
  }

  async close(): Promise<void> {
    await this.sender?.producer.disconnect().catch(() => {});
    this.sender = null;
  }
}

interface LetterRow {
  id: string;
  source_topic: string;
  message_key: Buffer | null;
  message_value: Buffer | null;
  headers: Record<string, string>;
}

export async function replayDeadLetters(
  pool: pg.Pool,
  publish: (topic: string, messages: Message[]) => Promise<void>,
  input: ReplayInput,
): Promise<ReplayResult> {
  const known = await query(
    pool,
    sql`SELECT 1 FROM etl.pipelines WHERE name = ${sql.value(input.pipeline)}
        UNION ALL SELECT 1 FROM etl.dead_letters WHERE pipeline = ${sql.value(input.pipeline)}
        LIMIT 1`,
  );
  if (known.rowCount === 0)
    throw new ReplayInputError(`no pipeline named "${input.pipeline}"`, 'unknown-pipeline');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await query<LetterRow>(
      client,
      sql`SELECT id::text, source_topic, message_key, message_value, headers
            FROM etl.dead_letters
           WHERE pipeline = ${sql.value(input.pipeline)}
             AND replayed_at IS NULL
             AND (${sql.value(input.since)}::timestamptz IS NULL
                  OR created_at >= ${sql.value(input.since)}::timestamptz)
             AND (${sql.value(input.ids)}::bigint[] IS NULL OR id = ANY(${sql.value(input.ids)}::bigint[]))
           ORDER BY id
           LIMIT ${sql.value(MAX_REPLAY)}
           FOR UPDATE SKIP LOCKED`,
    );
    const byTopic = new Map<string, Message[]>();
    for (const r of rows) {
      const list = byTopic.get(r.source_topic) ?? [];
      list.push({ key: r.message_key, value: r.message_value, headers: r.headers ?? {} });
      byTopic.set(r.source_topic, list);
    }
    for (const [topic, messages] of byTopic) await publish(topic, messages);
    const ids = rows.map((r) => r.id);
    if (ids.length)
      await query(
        client,
        sql`UPDATE etl.dead_letters SET replayed_at = now(), replay_count = replay_count + 1
             WHERE id = ANY(${sql.value(ids)}::bigint[])`,
      );
    await client.query('COMMIT');
    return { sent: ids.length, ids: ids.map(Number) };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
