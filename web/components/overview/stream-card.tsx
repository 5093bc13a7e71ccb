'use client';

import Link from 'next/link';
import { useMemo } from 'react';
import { Sparkline } from '@/components/charts/sparkline';
import { useLiveLatestRows } from '@/hooks/use-live-latest-rows';
import { useLiveStreamRate } from '@/hooks/use-live-stream-rate';
import { formatClock, formatNumber, formatRate } from '@/lib/format';
import { chartFields } from '@/lib/graphql/documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { Row } from '@/lib/stream/stream-buffer';

function entityLabel(stream: DiscoveredStream, row: Row): string | undefined {
  const rel = stream.entityRelationship?.field;
  const e = rel ? (row[rel] as { name?: string | null; key?: string } | null) : null;
  if (e) return e.name ?? e.key;
  return stream.entityField ? `#${String(row[stream.entityField])}` : undefined;
}

export function StreamCard({
  stream,
  initialLatest,
  initialRate,
  initialError,
}: {
  stream: DiscoveredStream;
  initialLatest?: Row[];
  initialRate?: number;
  initialError?: string;
}) {
  const primary = stream.metrics[0]!;
  const fields = useMemo(() => chartFields(stream, [primary.name]), [stream, primary.name]);
  const latest = useLiveLatestRows(stream, fields, null, 1, initialLatest);
  const rate = useLiveStreamRate(stream, initialRate);
  const row = latest.data?.[0];
  // an error matters when it leaves the card without data
  const error = row ? undefined : (latest.error ?? (latest.live ? undefined : initialError));
  const rateError = rate.rate === undefined ? rate.error : undefined;
  const headingId = `card-${stream.name}`;
  return (
    <article
      aria-labelledby={headingId}
      className="flex h-full flex-col rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id={headingId} className="font-semibold">
        <Link
          href={`/streams/${stream.name}`}
          className="rounded text-blue-800 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-blue-600 dark:text-blue-300"
        >
          {stream.title}
        </Link>
      </h2>
      {stream.description ? (
        <p className="mt-1 line-clamp-2 text-sm text-slate-600 dark:text-slate-400">
          {stream.description}
        </p>
      ) : null}
      <dl className="mt-3 grid grid-cols-2 gap-2 text-sm">
        <div>
          <dt className="text-slate-600 dark:text-slate-400">Rate</dt>
          <dd className="text-lg font-semibold tabular-nums" data-testid="stream-rate">
            {stream.canAggregate ? formatRate(rate.rate) : 'n/a'}
          </dd>
          {rateError ? (
            <dd className="text-xs text-red-700 dark:text-red-300" title={rateError}>
              rate unavailable
            </dd>
          ) : null}
        </div>
        <div>
          <dt className="text-slate-600 dark:text-slate-400">Last {primary.name}</dt>
          <dd className="text-lg font-semibold tabular-nums" data-testid="stream-last-value">
            {row ? formatNumber(row[primary.name] as number) : latest.loading ? '…' : '—'}
          </dd>
          {row ? (
            <dd className="text-xs text-slate-600 dark:text-slate-400">
              {entityLabel(stream, row)} · {formatClock(row[stream.timeField] as string)} UTC
            </dd>
          ) : null}
        </div>
      </dl>
      <div className="mt-3 text-slate-500">
        <Sparkline
          values={rate.history}
          label={`${stream.title} rows per second, last 3 minutes`}
          className="h-8 w-full"
        />
      </div>
      {!row && !latest.loading && !error ? (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
          No rows yet. Produce to{' '}
          {stream.pipeline?.topics.length ? (
            <code className="font-mono">{stream.pipeline.topics.join(', ')}</code>
          ) : (
            'its topic'
          )}{' '}
          and they appear here.
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">
          {error}
        </p>
      ) : null}
    </article>
  );
}
