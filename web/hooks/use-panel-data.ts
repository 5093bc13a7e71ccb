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
import { startTransition, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { useQueryBatcher } from '@/hooks/use-query-batcher';
import type { PanelSpec } from '@/lib/dashboards/model';
import {
  bucketsQuery,
  bucketsVariables,
  EDGE_MINUTES,
  newestRowsSubscription,
  panelFields,
  rangeCountQuery,
  rawRangeQuery,
  streamQuery,
  type SeriesRef,
} from '@/lib/graphql/panel-documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { pointsComparable } from '@/lib/series/agg';
import { SeriesSet, type HistoryBucket } from '@/lib/series/series-set';
import { toNumber } from '@/lib/series/agg';
import { StreamResume } from '@/lib/live/stream-resume';
import { every } from '@/lib/live/ticker';
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
/**
 * Least time between two renders of a panel for new data alone: series move at about 1 Hz, and
 * a stream delivers each series' point apart; a new status or range renders at the next frame.
 */
const MIN_PUBLISH_MS = 500;

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
  const batcher = useQueryBatcher();
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
    let later: ReturnType<typeof setTimeout> | undefined;
    let publishedAt = 0;
    let pendingPatch: Partial<PanelData> = {};
    const cleanups: Array<() => void> = [];
    const publish = (patch: Partial<PanelData> = {}) => {
      if (cancelled) return;
      pendingPatch = { ...pendingPatch, ...patch };
      if (frame || later) {
        if (Object.keys(patch).length === 0 || frame) return;
        clearTimeout(later);
        later = undefined;
      }
      const toFrame = () => {
        later = undefined;
        frame = requestAnimationFrame(() => {
          frame = 0;
          if (cancelled) return;
          publishedAt = Date.now();
          const p = pendingPatch;
          pendingPatch = {};
          // a transition: React renders the panels in slices, yielding to input and drawing
          startTransition(() =>
            setState((s) => (s.set === set ? { ...s, ...p, version: set.version } : s)),
          );
        });
      };
      const wait = Object.keys(patch).length > 0 ? 0 : publishedAt + MIN_PUBLISH_MS - Date.now();
      if (wait > 0) later = setTimeout(toFrame, wait);
      else toFrame();
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
    // every read goes through the batcher: the panels of a dashboard read in the same task
    const readRaw = async (fromMs: number, toMs: number): Promise<Row[]> => {
      const data = await batcher.query<{ rows?: Row[] }>(rawRangeQuery(stream, fields, filtered), {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        limit: ROW_LIMIT,
        ...entityVars,
      });
      return [...(data.rows ?? [])].reverse();
    };
    const series: SeriesRef[] = [];
    for (const e of ids ?? [''])
      for (const m of metrics) series.push({ alias: `s${series.length}`, entity: e, metric: m });
    const readBuckets = async (fromMs: number, toMs: number): Promise<HistoryBucket[]> => {
      if (w === null || !plan.fromRollups) return [];
      const data = await batcher.query<Record<string, Array<Record<string, unknown>> | undefined>>(
        bucketsQuery(series),
        {
          stream: stream.name,
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          width: intervalOf(w),
          ...bucketsVariables(series),
        },
      );
      const out: HistoryBucket[] = [];
      for (const s of series) {
        for (const b of data[s.alias] ?? []) {
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
        // the buckets and the points since the boundary at once (one batched round trip)
        const [buckets, edgeRows] = await Promise.all([
          readBuckets(first, boundary),
          plan.following && plan.edge === 'points'
            ? readRaw(boundary, now + 60_000)
            : Promise.resolve([]),
        ]);
        if (cancelled) return;
        set.setHistory(buckets, first, boundary);
        take(edgeRows);
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
        const resume = new StreamResume(
          Number.isFinite(newest) ? newest : Math.max(boundary, plan.fromMs),
        );
        const startVars = { cursor: resume.cursor(), batch: STREAM_BATCH, ...entityVars };
        const live = stream.canStream
          ? client.subscription<{ rows: Row[] }>(streamQuery(stream, fields, filtered), startVars, {
              // re-sent after a reconnect or a token handover: from the stream's last rows
              resume: () => ({ ...startVars, cursor: resume.cursor() }),
            })
          : client.subscription<{ rows: Row[] }>(newestRowsSubscription(stream, fields, filtered), {
              batch: STREAM_BATCH,
              ...entityVars,
            });
        const sub = live.subscribe((res) => {
          if (res.error) return fail(res.error.message);
          if (!res.data?.rows) return;
          resume.received(res.data.rows.map((r) => parseTime(r[stream.timeField])));
          if (take(res.data.rows)) publish();
        });
        cleanups.push(() => sub.unsubscribe());
        // the recent edge again: rows that committed behind the stream's cursor
        // first how many rows the window holds: only when the server holds rows the panel does
        // not (a row committed behind the cursor) are the rows read again
        const countRows = async (fromMs: number, toMs: number): Promise<number | null> => {
          if (!stream.canAggregate) return null;
          const data = await batcher.query<{ agg?: { aggregate: { count: number } | null } }>(
            rangeCountQuery(stream, filtered),
            {
              from: new Date(fromMs).toISOString(),
              to: new Date(toMs).toISOString(),
              ...entityVars,
            },
          );
          return data.agg?.aggregate?.count ?? null;
        };
        cleanups.push(
          every(EDGE_REREAD_EVERY_MS, () => {
            const t = Date.now();
            const from = Math.max(set.boundaryMs, t - EDGE_REREAD_MS);
            const to = t - 1_000; // rows still streaming in are the stream's to deliver
            countRows(from, to)
              .then((count) =>
                count !== null && count === set.rowsBetween(from, to)
                  ? undefined
                  : readRaw(from, t + 60_000).then((rows) => take(rows) && publish()),
              )
              .catch(() => {});
          }),
        );
      }
      if (w !== null && plan.fromRollups) {
        const again = every(HISTORY_REREAD_EVERY_MS, () => {
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
        });
        cleanups.push(again);
      }
      // the range slides with the clock (the charts slide their axis themselves: a panel
      // re-renders only when its data changed)
      cleanups.push(
        every(1000, () => {
          const t = Date.now();
          const before = set.version;
          if (w !== null) set.advance(t - Math.max(2 * w, 5 * 60_000));
          set.trimBefore(t - spanMs - (w ?? 0));
          if (set.version !== before) publish();
        }),
      );
    })().catch((err: Error) => fail(err.message));

    return () => {
      cancelled = true;
      if (frame) cancelAnimationFrame(frame);
      if (later) clearTimeout(later);
      for (const c of cleanups) c();
    };
  }, [set, client, batcher]);

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
