'use client';

import Link from 'next/link';
import { useMemo } from 'react';
import { StreamHistory } from './stream-history';
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
  history,
  dashboardId,
}: {
  stream: DiscoveredStream;
  initialLatest?: Row[];
  initialRate?: number;
  initialError?: string;
  /** rows per minute of the last hour, from the rollups (undefined: the role cannot read them) */
  history?: Array<[number, number]>;
  /** the stream's default dashboard */
  dashboardId?: string;
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
      {history ? (
        <div className="mt-3">
          <StreamHistory
            stream={stream.name}
            metric={primary.name}
            initial={history}
            label={`${stream.title} load`}
          />
        </div>
      ) : null}
      <p className="mt-2 flex flex-wrap gap-3 text-sm">
        <Link
          href={`/streams/${stream.name}`}
          className="text-blue-800 underline underline-offset-2 dark:text-blue-300"
        >
          Explore<span className="sr-only"> {stream.title}</span>
        </Link>
        {dashboardId ? (
          <Link
            href={`/d/${dashboardId}`}
            className="text-blue-800 underline underline-offset-2 dark:text-blue-300"
          >
            Dashboard<span className="sr-only"> of {stream.title}</span>
          </Link>
        ) : null}
      </p>
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
