'use client';

/** Live query on etl.consumer_offsets: per-partition position, lag and load rate. */
import { useEffect, useMemo, useState } from 'react';
import { CONSUMER_OFFSETS_SUBSCRIPTION } from '@/lib/graphql/documents';
import { RateTracker, type OffsetRow } from '@/lib/stream/rates';
import { useLiveQuery } from './use-live-query';

export function useLiveOffsets(initial?: OffsetRow[]) {
  const result = useLiveQuery<{ consumer_offsets: OffsetRow[] }>(
    CONSUMER_OFFSETS_SUBSCRIPTION,
    undefined,
    initial ? { consumer_offsets: initial } : undefined,
  );
  const [tracker] = useState(() => new RateTracker(10_000));
  // the same counters' dead letters: the error rate
  const [deadTracker] = useState(() => new RateTracker(30_000));
  const rows = result.data?.consumer_offsets;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!rows) return;
    tracker.update(rows, Date.now());
    deadTracker.update(
      rows.map((r) => ({ ...r, rows_loaded: r.dead_letters ?? 0 })),
      Date.now(),
    );
  }, [rows, tracker, deadTracker]);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const rateOf = useMemo(() => (key: string) => tracker.rate(key, now), [now, tracker]);
  return { ...result, rows, rateOf, tracker, deadTracker, now };
}
