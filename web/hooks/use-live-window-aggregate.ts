'use client';

/**
 * Live count / avg / min / max of the metrics over a window (raw windows): a `<table>_aggregate`
 * live query from the window's start. The start is moved forward every twentieth of the window
 * (at least 15 s), so the window slides without a query per second.
 */
import { useEffect, useMemo, useState } from 'react';
import { windowAggregateSubscription } from '@/lib/graphql/documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { toNumber } from '@/lib/stream/series-store';
import type { WindowAggregate } from '@/lib/stream/rollups';
import { windowStart } from '@/lib/stream/windows';
import { useLiveQuery } from './use-live-query';

export interface AggregateResult {
  agg: {
    aggregate: {
      count: number;
      avg: Record<string, number | null> | null;
      min: Record<string, number | string | null> | null;
      max: Record<string, number | string | null> | null;
    } | null;
  };
}

export function useLiveWindowAggregate(
  stream: DiscoveredStream,
  metrics: readonly string[],
  entity: string | number | null,
  windowMs: number,
  enabled: boolean,
  /** The same aggregate rendered by the server, shown until the socket delivers. */
  initial?: AggregateResult,
): { data: WindowAggregate | undefined; loading: boolean; error: string | undefined } {
  const [from, setFrom] = useState(() => windowStart(windowMs));
  const [forWindow, setForWindow] = useState(windowMs);
  if (forWindow !== windowMs) {
    setForWindow(windowMs);
    setFrom(windowStart(windowMs));
  }
  useEffect(() => {
    const timer = setInterval(
      () => setFrom(windowStart(windowMs)),
      Math.max(15_000, windowMs / 20),
    );
    return () => clearInterval(timer);
  }, [windowMs]);
  const withEntity = entity !== null && stream.entityField !== undefined;
  const query = useMemo(
    () =>
      enabled && stream.canAggregate && metrics.length
        ? windowAggregateSubscription(stream, metrics, withEntity)
        : null,
    [enabled, stream, metrics, withEntity],
  );
  const result = useLiveQuery<AggregateResult>(
    query,
    { from, ...(withEntity ? { entity } : {}) },
    initial,
  );
  const data = useMemo((): WindowAggregate | undefined => {
    const a = result.data?.agg.aggregate;
    if (!a) return undefined;
    const pick = (o: Record<string, unknown> | null) =>
      Object.fromEntries(metrics.map((m) => [m, toNumber(o?.[m])])) as Record<
        string,
        number | null
      >;
    return { count: a.count, avg: pick(a.avg), min: pick(a.min), max: pick(a.max) };
  }, [result.data, metrics]);
  return { data, loading: result.loading, error: result.error };
}
