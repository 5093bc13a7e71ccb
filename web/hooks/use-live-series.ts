'use client';

/**
 * A live chart's data. For short windows: the window's newest rows (server-rendered or queried),
 * then a `<table>_stream` streaming subscription from the newest row on, so no point is missed;
 * after a reconnect or a token handover it resumes from its last cursor and the overlap's
 * duplicates are dropped. For long windows: the rollup buckets, then a live query on the newest
 * buckets, merged in place.
 */
import { useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import {
  chartFields,
  historyQuery,
  latestRowsSubscription,
  rollupDocument,
  streamRowsSubscription,
} from '@/lib/graphql/documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { RollupMerger, type RollupRow, type WindowAggregate } from '@/lib/stream/rollups';
import { SeriesStore } from '@/lib/stream/series-store';
import { StreamBuffer, type Row } from '@/lib/stream/stream-buffer';
import { ROW_LIMIT, type PointSource } from '@/lib/stream/windows';

export interface LiveSeriesOptions {
  stream: DiscoveredStream;
  metrics: readonly string[];
  entity: string | number | null;
  windowMs: number;
  source: PointSource;
  /** Rows rendered by the server (oldest first) for the selection named by `key`, drawn at once. */
  initial?: { key: string; rows?: Row[]; rollups?: RollupRow[] };
  /** Names the current selection (to match `initial`). */
  selectionKey?: string;
  /** Rows per streaming batch. */
  batchSize?: number;
}

export interface LiveSeries {
  /** The selection this state belongs to. */
  key: string;
  store: SeriesStore;
  version: number;
  status: 'loading' | 'live' | 'error' | 'unavailable';
  error?: string;
  /** Something went wrong that did not stop the chart (e.g. its history could not be read). */
  warning?: string;
  received: number;
  duplicates: number;
  /** Aggregates over the window computed from the rollups (long windows only). */
  rollupAggregate?: WindowAggregate;
}

const STREAM_BATCH = 1000;

export function useLiveSeries(opts: LiveSeriesOptions): LiveSeries {
  const client = useClient();
  const { stream, metrics, entity, windowMs, source, initial, selectionKey } = opts;
  const key = JSON.stringify([stream.name, metrics, entity, windowMs, source]);
  const fresh = (): LiveSeries =>
    source.kind === 'none'
      ? {
          key,
          store: new SeriesStore(metrics, stream.timeField),
          version: 0,
          status: 'unavailable',
          error: source.reason,
          received: 0,
          duplicates: 0,
        }
      : {
          key,
          store: new SeriesStore(metrics, stream.timeField),
          version: 0,
          status: 'loading',
          received: 0,
          duplicates: 0,
        };
  const [state, setState] = useState<LiveSeries>(fresh);
  // a new selection starts from an empty store (React's "adjust state on prop change" pattern)
  if (state.key !== key) setState(fresh());
  const store = state.key === key ? state.store : undefined;

  const initialRef = useRef(initial);
  useEffect(() => {
    initialRef.current = initial;
  });
  const batchSize = opts.batchSize ?? STREAM_BATCH;

  useEffect(() => {
    if (!store || source.kind === 'none') return;
    let cancelled = false;
    let frame = 0;
    const publish = (patch: Partial<LiveSeries> = {}) => {
      if (cancelled) return;
      if (frame) cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (!cancelled)
          setState((s) => (s.store === store ? { ...s, ...patch, version: store.version } : s));
      });
    };
    const fail = (error: string) => {
      if (!cancelled) setState((s) => (s.store === store ? { ...s, status: 'error', error } : s));
    };
    const withEntity = entity !== null && stream.entityField !== undefined;
    const entityVars: Record<string, unknown> = withEntity ? { entity } : {};
    const cleanups: Array<() => void> = [];

    if (source.kind === 'raw') {
      const buffer = new StreamBuffer({ timeField: stream.timeField });
      const fields = chartFields(stream, metrics);
      const from = new Date(Date.now() - windowMs).toISOString();
      const ingest = (rows: readonly Row[]) => {
        const added = buffer.accept(rows);
        if (added.length) store.append(added);
        publish({ status: 'live', received: buffer.accepted, duplicates: buffer.duplicates });
      };
      void (async () => {
        const init = initialRef.current;
        let rows: readonly Row[] | undefined;
        if (init?.rows && init.key === selectionKey) {
          rows = init.rows;
        }
        if (!rows) {
          const res = await client
            .query<{ rows: Row[] }>(historyQuery(stream, fields, withEntity), {
              from,
              limit: ROW_LIMIT,
              ...entityVars,
            })
            .toPromise();
          if (cancelled) return;
          // without the history the stream still starts at the window's beginning
          rows = res.error ? [] : [...(res.data?.rows ?? [])].reverse();
          if (res.error) publish({ warning: `history: ${res.error.message}` });
        }
        ingest(rows);
        const initialCursor = buffer.resumeCursor(from);
        const startVars = { cursor: initialCursor, batch: batchSize, ...entityVars };
        const live = stream.canStream
          ? client.subscription<{ rows: Row[] }>(
              streamRowsSubscription(stream, fields, withEntity),
              startVars,
              {
                resume: () => ({ ...startVars, cursor: buffer.resumeCursor(initialCursor) }),
              },
            )
          : // no streaming permission: a live query on the newest rows (points may be skipped when
            // more than a batch arrives between two polls)
            client.subscription<{ rows: Row[] }>(
              latestRowsSubscription(stream, fields, withEntity, false),
              {
                limit: batchSize,
                ...entityVars,
              },
            );
        const sub = live.subscribe((result) => {
          if (result.error) return fail(result.error.message);
          if (result.data?.rows) ingest(result.data.rows);
        });
        cleanups.push(() => sub.unsubscribe());
        if (cancelled) sub.unsubscribe();
      })().catch((err: Error) => fail(err.message));
      const tick = setInterval(() => {
        const before = store.version;
        store.trimBefore((Date.now() - windowMs) / 1000);
        if (store.version !== before) publish();
      }, 1000);
      cleanups.push(() => clearInterval(tick));
    } else {
      const merger = new RollupMerger(metrics);
      const bucketMs = source.bucketMs;
      const from = new Date(
        Math.floor((Date.now() - windowMs) / bucketMs) * bucketMs,
      ).toISOString();
      const base = { stream: stream.name, entity, metrics: [...metrics] };
      const apply = () => {
        merger.trimBefore(Date.now() - windowMs - bucketMs);
        store.clear();
        store.append(merger.chartRows());
        publish({ status: 'live', received: store.length, rollupAggregate: merger.aggregate() });
      };
      void (async () => {
        const init = initialRef.current;
        if (init?.rollups && init.key === selectionKey) {
          merger.merge(init.rollups);
        } else {
          const res = await client
            .query<{ rows: RollupRow[] }>(rollupDocument('query', source.table, false), {
              ...base,
              from,
              limit: ROW_LIMIT,
            })
            .toPromise();
          if (cancelled) return;
          if (res.error) return fail(res.error.message);
          merger.merge(res.data?.rows ?? []);
        }
        apply();
        const tailFrom = new Date(
          Math.floor((Date.now() - 2 * bucketMs) / bucketMs) * bucketMs,
        ).toISOString();
        const sub = client
          .subscription<{ rows: RollupRow[] }>(
            rollupDocument('subscription', source.table, false),
            {
              ...base,
              from: tailFrom,
              limit: 100 * metrics.length,
            },
          )
          .subscribe((result) => {
            if (result.error) return fail(result.error.message);
            merger.merge(result.data?.rows ?? []);
            apply();
          });
        cleanups.push(() => sub.unsubscribe());
        if (cancelled) sub.unsubscribe();
      })().catch((err: Error) => fail(err.message));
    }

    return () => {
      cancelled = true;
      if (frame) cancelAnimationFrame(frame);
      for (const c of cleanups) c();
    };
    // the store is new for every selection (key); the rest is read as of that selection
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [store, client, batchSize]);

  return state.key === key ? state : fresh();
}
