/**
 * One chunk of one partition, written exactly once: a single Postgres transaction holds the rows
 * (one set-based statement per target table, rollups included), the dead-letter records, and the
 * partition's next offset. The offset row is the fence: it is locked first, so two workers that
 * both believe they own a partition (a rebalance in flight) serialise on it, and the second one
 * drops whatever the first already wrote. Nothing reaches the rows without the offset moving with
 * it, and a crash at any instant leaves either both or neither.
 */
import type pg from 'pg';
import { encodeChangeNotice, query, sql, sqlState, transaction } from '@streamsync/database';
import type { DeadLetterCode, DecodedRow } from '../pipeline/types.ts';
import { evaluateAlerts, type AlertInput } from '../alerts/evaluate.ts';
import type { AlertRuleSet } from '../alerts/rule-set.ts';
import { EntityCache, resolveEntities } from './entities.ts';
import { copyRows, encodeRows } from './copy-rows.ts';
import { addRollups, insertRows, recomputeRollups, type RowArrays } from './insert-sql.ts';
import { PipelineStepError } from '../failures/classify.ts';
import { diagnosticText } from '../pipeline/strings.ts';
import { aggregateRollups } from './rollups.ts';
import { PartitionKeeper } from './partitions.ts';
import type { LoadedPipeline } from './registry.ts';

export interface DeadLetter {
  pipeline: string | null;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestampMs: number | null;
  code: DeadLetterCode;
  reason: string;
}

/** The rows one pipeline made of a chunk, with the offset each came from. */
export interface PipelineRows {
  loaded: LoadedPipeline;
  offsets: number[];
  rows: DecodedRow[];
}

export interface Chunk {
  topic: string;
  partition: number;
  firstOffset: number;
  lastOffset: number;
  highWatermark: number | null;
  /**
   * the offset to store once the chunk commits (default lastOffset + 1); a part of a split chunk
   * stores the first offset of the next part, so a gap in the log between them is never a "gap"
   */
  nextOffset?: number;
  /** offsets of every message in the chunk (for the fence's filter) */
  messageOffsets: number[];
  pipelines: PipelineRows[];
  deadLetters: DeadLetter[];
  /** the message at an offset of the chunk, for a dead letter the database caused */
  original(offset: number): OriginalMessage;
}

export type OriginalMessage = Pick<DeadLetter, 'key' | 'value' | 'headers' | 'timestampMs'>;

export type WriteOutcome =
  | {
      status: 'written';
      /** rows inserted (or updated) per pipeline */
      rows: Map<string, number>;
      deadLetters: DeadLetter[];
      /** messages the fence dropped because an earlier transaction already loaded them */
      alreadyLoaded: number;
      /** the entity ids touched, per target table (for the change notification) */
      series: Map<string, Set<number>>;
    }
  /** the stored offset is ahead of the chunk's start: resume from `expected` */
  | { status: 'gap'; expected: number };

const NOTIFY_MAX_SERIES = 200;

export interface WriterOptions {
  pool: pg.Pool;
  groupId: string;
  notifyChannel: string;
  /** the alert rules to evaluate the loaded points against (none: no evaluation) */
  alertRules?: AlertRuleSet;
  /** how a pipeline's rows of a chunk went in (COPY, or INSERT … ON CONFLICT, and why) */
  onRowSet?: (pipeline: string, path: RowSetPath) => void;
}

export type RowSetPath = 'copy' | 'copy_conflict' | 'insert';

export class BatchWriter {
  readonly entities = new EntityCache();
  readonly partitions: PartitionKeeper;

  constructor(private readonly opts: WriterOptions) {
    this.partitions = new PartitionKeeper(opts.pool);
  }

  /** Every stored offset of the group for these topics. */
  async storedOffsets(topics: string[]): Promise<Map<string, number>> {
    const { rows } = await query<{ topic: string; partition: number; next_offset: string }>(
      this.opts.pool,
      sql`SELECT topic, partition, next_offset FROM etl.consumer_offsets
           WHERE consumer_group = ${sql.value(this.opts.groupId)}
             AND topic = ANY(${sql.value(topics, 'text[]')})`,
    );
    return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, Number(r.next_offset)]));
  }

  /** Partitions for the chunk's time range, before its transaction. */
  async preparePartitions(chunk: Chunk): Promise<void> {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of chunk.pipelines) {
      if (p.rows.length === 0) continue;
      let plo = Infinity;
      let phi = -Infinity;
      for (const r of p.rows) {
        const ms = r.tsUs / 1000;
        if (ms < plo) plo = ms;
        if (ms > phi) phi = ms;
      }
      await this.partitions.ensure(p.loaded.pipeline.schema, p.loaded.pipeline.table, plo, phi);
      if (p.loaded.pipeline.rollupColumns.length > 0) {
        lo = Math.min(lo, plo);
        hi = Math.max(hi, phi);
      }
    }
    if (lo <= hi) await this.partitions.ensureRollups(lo, hi);
  }

  /**
   * Write the chunk in one transaction. `beforeCommit` runs inside it last, once the rows, the
   * dead letters' records and the offset are in, so the caller publishes the dead letters to Kafka
   * before the offsets commit. Any failure is thrown as it is (wrapped in a PipelineStepError when
   * one pipeline's step failed); failures/classify.ts decides what it means.
   */
  async write(
    chunk: Chunk,
    beforeCommit: (deadLetters: DeadLetter[]) => Promise<void>,
  ): Promise<WriteOutcome> {
    const g = sql.value(this.opts.groupId);
    const t = sql.value(chunk.topic);
    const p = sql.value(chunk.partition);
    const learnt = new Map<string, Map<string, number>>();
    const outcome = await transaction(this.opts.pool, async (client): Promise<WriteOutcome> => {
      // the fence: lock this partition's offset row (created on first sight)
      const fence = await query<{ next_offset: string; created: boolean }>(
        client,
        sql`INSERT INTO etl.consumer_offsets AS o (consumer_group, topic, partition, next_offset)
            VALUES (${g}, ${t}, ${p}, ${sql.value(chunk.firstOffset)})
            ON CONFLICT (consumer_group, topic, partition)
              DO UPDATE SET next_offset = o.next_offset
            RETURNING next_offset, (xmax = 0) AS created`,
      );
      const stored = Number(fence.rows[0]!.next_offset);
      if (!fence.rows[0]!.created && chunk.firstOffset > stored) {
        return { status: 'gap', expected: stored };
      }
      let alreadyLoaded = 0;
      let work = chunk;
      if (chunk.firstOffset < stored) {
        alreadyLoaded = chunk.messageOffsets.filter((o) => o < stored).length;
        work = dropLoaded(chunk, stored);
      }

      const rowCounts = new Map<string, number>();
      const series = new Map<string, Set<number>>();
      const deadLetters = [...work.deadLetters];
      const alertInputs: AlertInput[] = [];
      for (const pr of work.pipelines) {
        if (pr.rows.length === 0) continue;
        const pl = pr.loaded.pipeline;
        let ids: Map<string, number> | null = null;
        if (pl.entityKind) {
          const keys = new Map<string, string | null>();
          for (const r of pr.rows) {
            if (!keys.has(r.entityKey!) || r.entityName) keys.set(r.entityKey!, r.entityName);
          }
          const res = await resolveEntities(client, this.entities, pl.entityKind, keys).catch(
            (err: unknown) => {
              throw new PipelineStepError(pl.name, 'entities', err);
            },
          );
          ids = res.ids;
          if (res.learnt.size > 0) {
            const m = learnt.get(pl.entityKind) ?? new Map<string, number>();
            for (const [k, v] of res.learnt) m.set(k, v);
            learnt.set(pl.entityKind, m);
          }
        }
        const inserted = await this.insertSet(client, pl, pr.rows, ids).catch((err: unknown) => {
          throw new PipelineStepError(pl.name, 'rows', err);
        });
        alertInputs.push({
          table: pl.table,
          columns: pl.columns,
          rows: pr.rows,
          ids,
        });
        rowCounts.set(pl.name, (rowCounts.get(pl.name) ?? 0) + inserted);
        if (ids) {
          const set = series.get(`${pl.schema}.${pl.table}`) ?? new Set<number>();
          for (const id of ids.values()) set.add(id);
          series.set(`${pl.schema}.${pl.table}`, set);
        }
      }

      // alerts commit with the points that fire them
      if (this.opts.alertRules) {
        await evaluateAlerts(client, this.opts.alertRules, alertInputs).catch((err: unknown) => {
          const only =
            alertInputs.length === 1 ? work.pipelines.find((x) => x.rows.length > 0) : null;
          throw only ? new PipelineStepError(only.loaded.pipeline.name, 'alerts', err) : err;
        });
      }

      if (deadLetters.length > 0) {
        await this.recordDeadLetters(client, chunk.topic, chunk.partition, deadLetters);
      }

      const messages = work.messageOffsets.length;
      const rowsLoaded = [...rowCounts.values()].reduce((a, b) => a + b, 0);
      const payload = changePayload(work, series, deadLetters.length > 0, learnt.size > 0);
      await query(
        client,
        sql`WITH moved AS (
              UPDATE etl.consumer_offsets
                 SET next_offset = greatest(next_offset, ${sql.value(chunk.nextOffset ?? chunk.lastOffset + 1)}),
                     high_watermark = greatest(${sql.value(chunk.highWatermark)}::int8, high_watermark),
                     stalled_since = NULL,
                     last_error = NULL,
                     messages = messages + ${sql.value(messages)},
                     rows_loaded = rows_loaded + ${sql.value(rowsLoaded)},
                     dead_letters = dead_letters + ${sql.value(deadLetters.length)},
                     updated_at = now()
               WHERE consumer_group = ${g} AND topic = ${t} AND partition = ${p}
              RETURNING 1
            )
            SELECT pg_notify(${sql.value(this.opts.notifyChannel)}, ${sql.value(payload)}) FROM moved`,
      );
      // last, so a failure of any statement above publishes nothing; a failure between this and
      // COMMIT repeats a dead letter on the topic (its source offset tells), never loses one
      if (deadLetters.length > 0) await beforeCommit(deadLetters);
      return { status: 'written', rows: rowCounts, deadLetters, alreadyLoaded, series };
    });
    if (outcome.status === 'written') {
      for (const [kind, m] of learnt) this.entities.remember(kind, m);
    }
    return outcome;
  }

  /**
   * The rows of one pipeline. `on_duplicate = 'ignore'`: COPY FROM STDIN (copy-rows.ts) inside a
   * savepoint, the rollups added from buckets aggregated here; a key already stored (or twice in
   * the batch) fails the COPY with 23505, which is undone, and the conflict-aware INSERT … ON
   * CONFLICT then stores what is new and rolls up exactly what its RETURNING says went in. Any
   * other failure is thrown as it is: failures/classify.ts sees the database's own error, and a
   * data error is isolated to its message by splitting, as for every other statement.
   */
  private async insertSet(
    client: pg.PoolClient,
    pl: LoadedPipeline['pipeline'],
    rows: DecodedRow[],
    ids: Map<string, number> | null,
  ): Promise<number> {
    const arrays = toArrays(pl, rows, ids);
    const encoded = pl.onDuplicate === 'ignore' ? encodeRows(pl, arrays) : null;
    if (encoded) {
      await client.query('SAVEPOINT copy_rows');
      const copied = await copyRows(client, pl, encoded).catch((err: unknown) => {
        if (sqlState(err) === '23505') return null;
        throw err;
      });
      if (copied !== null) {
        if (pl.entityKind !== null && pl.rollupColumns.length > 0) {
          const { minute, hour } = aggregateRollups(pl, arrays);
          if (minute.counts.length > 0) await query(client, addRollups(pl.table, minute, hour));
        }
        await client.query('RELEASE SAVEPOINT copy_rows');
        this.opts.onRowSet?.(pl.name, 'copy');
        return copied;
      }
      await client.query('ROLLBACK TO SAVEPOINT copy_rows');
      this.opts.onRowSet?.(pl.name, 'copy_conflict');
    }
    this.opts.onRowSet?.(pl.name, 'insert');
    const res = await query<{ inserted: number; entity_ids: string[] | null; ts: string[] | null }>(
      client,
      insertRows(pl, arrays),
    );
    const row = res.rows[0]!;
    if (row.entity_ids && row.ts && row.entity_ids.length > 0) {
      for (const stmt of recomputeRollups(pl, row.entity_ids, row.ts)) await query(client, stmt);
    }
    return row.inserted;
  }

  private async recordDeadLetters(
    client: pg.PoolClient,
    topic: string,
    partition: number,
    dls: DeadLetter[],
  ): Promise<void> {
    await query(
      client,
      sql`INSERT INTO etl.dead_letters (pipeline, source_topic, source_partition, source_offset,
            message_key, message_value, headers, message_timestamp, error_code, reason)
          SELECT pipeline, ${sql.value(topic)}, ${sql.value(partition)}, off, k, v, h,
                 CASE WHEN ts IS NULL THEN NULL ELSE timestamptz 'epoch' + ts * interval '1 millisecond' END,
                 code, reason
            FROM unnest(${sql.value(
              dls.map((d) => d.pipeline && diagnosticText(d.pipeline)),
              'text[]',
            )}, ${sql.value(
              dls.map((d) => d.offset),
              'int8[]',
            )}, ${sql.value(
              dls.map((d) => d.key),
              'bytea[]',
            )}, ${sql.value(
              dls.map((d) => d.value),
              'bytea[]',
            )}, ${sql.value(
              dls.map((d) => JSON.stringify(diagnosticHeaders(d.headers))),
              'jsonb[]',
            )}, ${sql.value(
              dls.map((d) => d.timestampMs),
              'int8[]',
            )}, ${sql.value(
              dls.map((d) => d.code),
              'text[]',
            )}, ${sql.value(
              dls.map((d) => diagnosticText(d.reason)),
              'text[]',
            )}) AS u(pipeline, off, k, v, h, ts, code, reason)
          ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING`,
    );
  }
}

/** Headers as etl.dead_letters (jsonb) can hold them: no NUL, no lone surrogate. */
function diagnosticHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[diagnosticText(k)] = diagnosticText(v);
  return out;
}

/** Rows of a pipeline as one array per column (what the unnest() statement takes). */
function toArrays(
  pl: LoadedPipeline['pipeline'],
  rows: DecodedRow[],
  ids: Map<string, number> | null,
): RowArrays {
  const n = rows.length;
  const tsUs = new Array<number>(n);
  const entityIds = ids ? new Array<number>(n) : null;
  const columns = pl.columns.map(() => new Array<number | string | boolean | null>(n));
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    tsUs[i] = r.tsUs;
    if (entityIds) entityIds[i] = ids!.get(r.entityKey!)!;
    for (let c = 0; c < columns.length; c++) columns[c]![i] = r.values[c]!;
  }
  if (pl.onDuplicate === 'update') return dedupeLastWins(pl, { entityIds, tsUs, columns });
  return { entityIds, tsUs, columns };
}

/**
 * An upsert may not touch one key twice in a statement: keep the last occurrence of each key (the
 * newest message wins, as it would across batches).
 */
function dedupeLastWins(pl: LoadedPipeline['pipeline'], a: RowArrays): RowArrays {
  const keyIdx = pl.keyColumns.map((k) =>
    k === 'entity_id' ? -1 : k === pl.timeColumn ? -2 : pl.columns.findIndex((c) => c.name === k),
  );
  const last = new Map<string, number>();
  for (let i = 0; i < a.tsUs.length; i++) {
    const key = keyIdx
      .map((j) => String(j === -1 ? a.entityIds![i] : j === -2 ? a.tsUs[i] : a.columns[j]![i]))
      .join('\u0000');
    last.set(key, i);
  }
  if (last.size === a.tsUs.length) return a;
  const keep = [...last.values()].sort((x, y) => x - y);
  return {
    entityIds: a.entityIds ? keep.map((i) => a.entityIds![i]!) : null,
    tsUs: keep.map((i) => a.tsUs[i]!),
    columns: a.columns.map((col) => keep.map((i) => col[i]!)),
  };
}

function dropLoaded(chunk: Chunk, stored: number): Chunk {
  return {
    ...chunk,
    messageOffsets: chunk.messageOffsets.filter((o) => o >= stored),
    deadLetters: chunk.deadLetters.filter((d) => d.offset >= stored),
    pipelines: chunk.pipelines.map((pr) => {
      const keep: number[] = [];
      pr.offsets.forEach((o, i) => o >= stored && keep.push(i));
      return {
        ...pr,
        offsets: keep.map((i) => pr.offsets[i]!),
        rows: keep.map((i) => pr.rows[i]!),
      };
    }),
  };
}

/**
 * What changed, for the engine's event-driven live queries: the tables written and, per points
 * table, the entity ids (omitted past a bound: the engine then treats every series as changed).
 */
function changePayload(
  chunk: Chunk,
  series: Map<string, Set<number>>,
  deadLetters: boolean,
  newEntities: boolean,
): string {
  const tables = new Set<string>(['etl.consumer_offsets']);
  const bySeries: Record<string, number[]> = {};
  let rollups: Set<number> | null | undefined;
  for (const pr of chunk.pipelines) {
    if (pr.rows.length === 0) continue;
    const name = `${pr.loaded.pipeline.schema}.${pr.loaded.pipeline.table}`;
    tables.add(name);
    const ids = series.get(name);
    const bounded = ids && ids.size <= NOTIFY_MAX_SERIES ? ids : null;
    if (bounded) bySeries[name] = [...bounded];
    if (pr.loaded.pipeline.rollupColumns.length > 0) {
      // the rollups of the same series changed; unbounded once any table is
      if (rollups === undefined) rollups = bounded ? new Set(bounded) : null;
      else if (rollups && bounded) for (const id of bounded) rollups.add(id);
      else rollups = null;
    }
  }
  if (rollups !== undefined) {
    for (const t of ['public.rollups_1m', 'public.rollups_1h']) {
      tables.add(t);
      if (rollups && rollups.size <= NOTIFY_MAX_SERIES) bySeries[t] = [...rollups];
    }
  }
  if (deadLetters) tables.add('etl.dead_letters');
  if (newEntities) tables.add('public.entities');
  return encodeChangeNotice({ tables: [...tables], series: bySeries });
}
