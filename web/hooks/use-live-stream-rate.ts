'use client';

/**
 * A stream's live rate (rows/s) and its recent history, for the overview: a live query counting
 * the rows newer than a moving start. The start is reset every 30 s so the count stays small.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { countSinceSubscription } from '@/lib/graphql/documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { rateSince } from '@/lib/stream/rates';
import { useLiveQuery } from './use-live-query';

const LOOKBACK_MS = 10_000;
const RESET_MS = 30_000;
const SAMPLE_MS = 2_000;
const SAMPLES = 90;

export function useLiveStreamRate(
  stream: DiscoveredStream,
  initialRate?: number,
): { rate: number | undefined; history: number[]; error: string | undefined; live: boolean } {
  const [since, setSince] = useState(() => Date.now() - LOOKBACK_MS);
  const query = useMemo(
    () => (stream.canAggregate ? countSinceSubscription(stream) : null),
    [stream],
  );
  const variables = useMemo(() => ({ since: new Date(since).toISOString() }), [since]);
  // with a server-rendered rate there is nothing to fetch before the socket delivers
  const result = useLiveQuery<{ agg: { aggregate: { count: number } | null } }>(
    query,
    variables,
    initialRate !== undefined ? { agg: { aggregate: null } } : undefined,
  );
  const count = result.data?.agg.aggregate?.count;
  const latest = useRef<{ count: number; since: number } | undefined>(undefined);
  useEffect(() => {
    if (count !== undefined) latest.current = { count, since };
  }, [count, since]);
  const [rate, setRate] = useState<number | undefined>(initialRate);
  const [history, setHistory] = useState<number[]>(() =>
    initialRate !== undefined ? [initialRate] : [],
  );

  useEffect(() => {
    const sample = setInterval(() => {
      const l = latest.current;
      if (!l) return;
      const r = rateSince(l.count, l.since, Date.now());
      setRate(r);
      setHistory((h) => [...h.slice(-(SAMPLES - 1)), r]);
    }, SAMPLE_MS);
    const reset = setInterval(() => setSince(Date.now() - LOOKBACK_MS), RESET_MS);
    return () => {
      clearInterval(sample);
      clearInterval(reset);
    };
  }, []);

  return { rate, history, error: result.error, live: result.live };
}
