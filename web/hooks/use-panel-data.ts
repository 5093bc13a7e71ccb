'use client';

/**
 * A panel's live data. History first — buckets from the rollups (bucketed_series) for long spans,
 * raw points for short ones — then, while the range follows the clock, the live edge: the
 * `<t>_stream` subscription from the newest point (every point), or for bucket aggregates and
 * wide selections a live query on the newest rollup minutes.
 *
 * Missing no point against either server: a `ts > cursor` stream (real Hasura) skips a row that
 * commits after rows with later times were sent, and points may arrive days late. So the recent
 * edge is re-read every few seconds and the bucketed history every minute, and everything is
 * merged by key in the SeriesSet (a point seen twice counts once). Against the engine, whose
 * streams never skip, the re-reads find nothing new.
 */
import { useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import type { PanelSpec } from '@/lib/dashboards/model';
import {
  bucketsQuery,
  bucketsVariables,
  EDGE_MINUTES,
  newestRowsSubscription,
  panelFields,
  rawRangeQuery,
  streamQuery,
  type SeriesRef,
} from '@/lib/graphql/panel-documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { pointsComparable } from '@/lib/series/agg';
import { SeriesSet, type HistoryBucket } from '@/lib/series/series-set';
import { toNumber } from '@/lib/series/agg';
import { parseTime, type Row } from '@/lib/stream/stream-buffer';
import { bucketStart, chooseResolution, intervalOf, type Resolution } from '@/lib/time/buckets';
import { resolveRange, type TimeRange } from '@/lib/time/range';

/** Most rows one read returns (the roles' select limit). */
export const ROW_LIMIT = 10_000;
/** How far back the recent edge is re-read, and how often. */
export const EDGE_REREAD_MS = 120_000;
export const EDGE_REREAD_EVERY_MS = 5_000;
/** How often the bucketed history is re-read (late points land in the rollups). */
export const HISTORY_REREAD_EVERY_MS = 60_000;
/** Series above which the live edge comes from rollup minutes rather than every point. */
const MAX_STREAMED_SERIES = 20;
const STREAM_BATCH = 1000;

export interface PanelData {
  key: string;
  set: SeriesSet;
  version: number;
  status: 'loading' | 'live' | 'done' | 'error';
  error?: string;
  resolution: Resolution;
  fromMs: number;
  toMs: number;
  following: boolean;
  /** where the live edge comes from */
  edge: 'points' | 'minutes' | 'none';
}

export interface PanelDataOptions {
  stream: DiscoveredStream;
  panel: Pick<PanelSpec, 'id' | 'metrics' | 'bucket' | 'aggregate' | 'visualization'>;
  /** entity ids to read (null: the stream has no entities) */
  entityIds: readonly string[] | null;
  range: TimeRange;
  /** bucketed_series is readable */
  canBuckets: boolean;
  /** rollups_1m is readable (the edge minutes) */
  canMinutes: boolean;
}

function planOf(opts: PanelDataOptions, nowMs: number) {
  const { stream, panel } = opts;
  const r = resolveRange(opts.range, nowMs);
  const rolled = stream.pipeline
    ? panel.metrics.every((m) => stream.pipeline!.rollupColumns.includes(m))
    : true;
  const fromRollups = rolled && opts.canBuckets && stream.entityField !== undefined;
  let resolution = chooseResolution(panel.bucket, r.toMs - r.fromMs, fromRollups);
  if (resolution.kind === 'raw' && panel.visualization === 'heatmap') {
    resolution = chooseResolution('1m', r.toMs - r.fromMs, fromRollups);
  }
  const series = (opts.entityIds?.length ?? 1) * panel.metrics.length;
  const edge: PanelData['edge'] = !r.following
    ? 'none'
    : resolution.kind === 'bucket' &&
        fromRollups &&
        opts.canMinutes &&
        (!pointsComparable(panel.aggregate) ||
          series > MAX_STREAMED_SERIES ||
          panel.visualization === 'heatmap')
      ? 'minutes'
      : 'points';
  return { ...r, resolution, fromRollups, edge };
}

export function usePanelData(opts: PanelDataOptions): PanelData {
  const client = useClient();
  const { stream, panel, entityIds, range } = opts;
  // the plan is fixed per key: a new range, selection or setting starts over
  const key = JSON.stringify([
    stream.name,
    panel.metrics,
    panel.bucket,
    panel.aggregate,
    panel.visualization,
    entityIds,
    range,
  ]);
  const fresh = (): PanelData => {
    const plan = planOf(opts, Date.now());
    return {
      key,
      set: new SeriesSet({
        metrics: panel.metrics,
        timeField: stream.timeField,
        entityField: stream.entityField,
        keyFields: panelFields(stream, []).filter(
          (f) => f !== stream.timeField && f !== stream.entityField,
        ),
        widthMs: plan.resolution.kind === 'bucket' ? plan.resolution.ms : null,
        aggregate: panel.aggregate,
      }),
      version: 0,
      status: 'loading',
      resolution: plan.resolution,
      fromMs: plan.fromMs,
      toMs: plan.toMs,
      following: plan.following,
      edge: plan.edge,
    };
  };
  const [state, setState] = useState<PanelData>(fresh);
  if (state.key !== key) setState(fresh());
  const optsRef = useRef(opts);
  useEffect(() => {
    optsRef.current = opts;
  });
  const set = state.key === key ? state.set : undefined;

  useEffect(() => {
    if (!set) return;
    const o = optsRef.current;
    const plan = planOf(o, Date.now());
    const { stream } = o;
    const metrics = o.panel.metrics;
    const ids = o.entityIds;
    const filtered = ids !== null && stream.entityField !== undefined;
    if (filtered && ids.length === 0) {
      setState((s) => (s.set === set ? { ...s, status: plan.following ? 'live' : 'done' } : s));
      return;
    }
    const fields = panelFields(stream, metrics);
    const entityVars = filtered ? { entities: ids } : {};
    let cancelled = false;
    let frame = 0;
    const cleanups: Array<() => void> = [];
    const publish = (patch: Partial<PanelData> = {}) => {
      if (cancelled) return;
      if (frame) cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (!cancelled)
          setState((s) => (s.set === set ? { ...s, ...patch, version: set.version } : s));
      });
    };
    const fail = (error: string) => {
      if (!cancelled)
        setState((s) =>
          s.set === set
            ? { ...s, status: 'error', error: error.replace(/^\[(GraphQL|Network)\] /, '') }
            : s,
        );
    };
    const w = plan.resolution.kind === 'bucket' ? plan.resolution.ms : null;
    const spanMs = plan.toMs - plan.fromMs;
    let newest = Number.NEGATIVE_INFINITY;
    const take = (rows: readonly Row[]) => {
      for (const r of rows) {
        const t = parseTime(r[stream.timeField]);
        if (t > newest) newest = t;
      }
      return set.addRows(rows);
    };
    const readRaw = async (fromMs: number, toMs: number): Promise<Row[]> => {
      const res = await client
        .query<{ rows: Row[] }>(rawRangeQuery(stream, fields, filtered), {
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          limit: ROW_LIMIT,
          ...entityVars,
        })
        .toPromise();
      if (res.error) throw new Error(res.error.message);
      return [...(res.data?.rows ?? [])].reverse();
    };
    const series: SeriesRef[] = [];
    for (const e of ids ?? [''])
      for (const m of metrics) series.push({ alias: `s${series.length}`, entity: e, metric: m });
    const readBuckets = async (fromMs: number, toMs: number): Promise<HistoryBucket[]> => {
      if (w === null || !plan.fromRollups) return [];
      const res = await client
        .query<Record<string, Array<Record<string, unknown>>>>(bucketsQuery(series), {
          stream: stream.name,
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          width: intervalOf(w),
          ...bucketsVariables(series),
        })
        .toPromise();
      if (res.error) throw new Error(res.error.message);
      const out: HistoryBucket[] = [];
      for (const s of series) {
        for (const b of res.data?.[s.alias] ?? []) {
          out.push({
            entity: s.entity,
            metric: s.metric,
            bucketMs: parseTime(b.bucket),
            agg: aggOf(b, parseTime(b.bucket) + w - 1),
          });
        }
      }
      return out;
    };

    void (async () => {
      const now = Date.now();
      // history
      let boundary = plan.fromMs;
      if (w !== null && plan.fromRollups) {
        const first = bucketStart(plan.fromMs, w);
        boundary = plan.following ? bucketStart(now, w) : bucketStart(plan.toMs, w) + w;
        set.setHistory(await readBuckets(first, boundary), first, boundary);
        if (cancelled) return;
        if (plan.following && plan.edge === 'points') take(await readRaw(boundary, now + 60_000));
      } else {
        take(await readRaw(plan.fromMs, plan.following ? now + 60_000 : plan.toMs));
        // no rollups for these metrics: fold what is older than the edge into the panel's buckets
        if (w !== null) set.advance(now - Math.max(2 * w, 5 * 60_000));
      }
      if (cancelled) return;
      publish({ status: plan.following ? 'live' : 'done' });
      if (!plan.following) return;

      // the live edge
      if (plan.edge === 'minutes') {
        const sub = client
          .subscription<{ rows: Array<Record<string, unknown>> }>(EDGE_MINUTES, {
            stream: stream.name,
            entities: ids ?? [],
            metrics: [...metrics],
            from: new Date(set.boundaryMs).toISOString(),
          })
          .subscribe((res) => {
            if (res.error) return fail(res.error.message);
            set.setEdgeBuckets(
              (res.data?.rows ?? []).map((r) => ({
                entity: String(r.entity_id),
                metric: String(r.metric),
                bucketMs: parseTime(r.bucket),
                agg: aggOf(r, parseTime(r.last_ts)),
              })),
            );
            publish();
          });
        cleanups.push(() => sub.unsubscribe());
      } else {
        const initialCursor = new Date(
          Number.isFinite(newest) ? newest : Math.max(boundary, plan.fromMs),
        ).toISOString();
        const startVars = { cursor: initialCursor, batch: STREAM_BATCH, ...entityVars };
        const live = stream.canStream
          ? client.subscription<{ rows: Row[] }>(streamQuery(stream, fields, filtered), startVars, {
              // after a reconnect: from the newest point held, less an overlap (its duplicates are dropped)
              resume: () => ({
                ...startVars,
                cursor: new Date(Math.max(Date.parse(initialCursor), newest - 2_000)).toISOString(),
              }),
            })
          : client.subscription<{ rows: Row[] }>(newestRowsSubscription(stream, fields, filtered), {
              batch: STREAM_BATCH,
              ...entityVars,
            });
        const sub = live.subscribe((res) => {
          if (res.error) return fail(res.error.message);
          if (res.data?.rows && take(res.data.rows)) publish();
        });
        cleanups.push(() => sub.unsubscribe());
        // the recent edge again: rows that committed behind the stream's cursor
        const reread = setInterval(() => {
          const t = Date.now();
          readRaw(Math.max(set.boundaryMs, t - EDGE_REREAD_MS), t + 60_000).then(
            (rows) => take(rows) && publish(),
            () => {},
          );
        }, EDGE_REREAD_EVERY_MS);
        cleanups.push(() => clearInterval(reread));
      }
      if (w !== null && plan.fromRollups) {
        const again = setInterval(() => {
          const t = Date.now();
          const first = bucketStart(t - spanMs, w);
          const b = set.boundaryMs;
          readBuckets(first, b).then(
            (buckets) => {
              if (!cancelled && set.boundaryMs === b) {
                set.setHistory(buckets, first, b);
                publish();
              }
            },
            () => {},
          );
        }, HISTORY_REREAD_EVERY_MS);
        cleanups.push(() => clearInterval(again));
      }
      // the range slides with the clock
      const tick = setInterval(() => {
        const t = Date.now();
        const before = set.version;
        if (w !== null) set.advance(t - Math.max(2 * w, 5 * 60_000));
        set.trimBefore(t - spanMs - (w ?? 0));
        publish(set.version !== before ? {} : {});
      }, 1000);
      cleanups.push(() => clearInterval(tick));
    })().catch((err: Error) => fail(err.message));

    return () => {
      cancelled = true;
      if (frame) cancelAnimationFrame(frame);
      for (const c of cleanups) c();
    };
  }, [set, client]);

  return state.key === key ? state : fresh();
}

function aggOf(r: Record<string, unknown>, lastTs: number) {
  return {
    count: toNumber(r.count) ?? 0,
    min: toNumber(r.min) ?? Number.NaN,
    max: toNumber(r.max) ?? Number.NaN,
    sum: toNumber(r.sum) ?? 0,
    last: toNumber(r.last) ?? Number.NaN,
    lastTs,
  };
}
