'use client';

import { ErrorNote } from '@/components/ui/error-note';
import { EmptyState } from '@/components/ui/empty-state';
import { Panel } from '@/components/ui/panel';
import { Skeleton } from '@/components/ui/skeleton';
import { useLiveDeadLetterCount } from '@/hooks/use-live-dead-letters';
import { useLiveOffsets } from '@/hooks/use-live-offsets';
import { useNow } from '@/hooks/use-now';
import { formatAgo, formatNumber, formatRate } from '@/lib/format';
import type { DiscoveredSchema, PipelineDeclaration } from '@/lib/graphql/schema-discovery';
import {
  lagOf,
  partitionKey,
  partitionState,
  STALL_AFTER_MS,
  type OffsetRow,
} from '@/lib/stream/rates';

const TH = 'whitespace-nowrap py-1 pr-3 font-medium';
const TD = 'whitespace-nowrap py-1 pr-3';

/** A stalled partition in words: where, how far behind, since when, and the worker's last error. */
function stallSentence(r: OffsetRow, now: number | null): string {
  const lag = lagOf(r);
  const since = r.stalled_since ?? r.updated_at;
  const ago = since && now !== null ? `, last advanced ${formatAgo(now - Date.parse(since))}` : '';
  return (
    `${r.topic} partition ${r.partition}` +
    (lag === null ? '' : `: ${formatNumber(lag)} messages behind`) +
    ago +
    (r.last_error ? `; last error: ${r.last_error}` : '')
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900">
      <dt className="text-sm text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="text-2xl font-semibold tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

export function PipelineHealth({
  health,
  pipelines,
  pipelinesMissing,
  initialOffsets,
}: {
  health: DiscoveredSchema['health'];
  pipelines: PipelineDeclaration[];
  pipelinesMissing: boolean;
  initialOffsets?: OffsetRow[];
}) {
  const offsets = useLiveOffsets(initialOffsets);
  const dead = useLiveDeadLetterCount(health.deadLetters);
  // relative times and stalls only once mounted: the server's clock is not the browser's
  const now = useNow(1000);
  const rows = offsets.rows ?? [];
  const keys = rows.map(partitionKey);
  const totalRate = offsets.tracker.total(keys, offsets.now);
  const errorRate = offsets.deadTracker.total(keys, offsets.now);
  const states = rows.map((r) => (now === null ? 'unknown' : partitionState(r, now)));
  const stalled = states.filter((s) => s === 'stalled').length;
  const lags = rows.map(lagOf).filter((l): l is number => l !== null);
  const totalLag = lags.length ? lags.reduce((a, b) => a + b, 0) : null;

  const topicRows = (topics: readonly string[] | null | undefined) =>
    rows.filter((r) => (topics ?? []).includes(r.topic));

  return (
    <div className="space-y-4">
      {stalled > 0 ? (
        <div
          role="alert"
          className="rounded border border-red-400 bg-red-50 p-2 text-sm font-medium text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
          data-testid="stalled"
        >
          {stalled} partition{stalled === 1 ? ' is' : 's are'} stalled: behind the broker and not
          advancing for over {STALL_AFTER_MS / 1000} s, or as the worker reports.
          <ul className="mt-1 list-disc pl-5 font-normal" data-testid="stalled-partitions">
            {rows
              .filter((_, i) => states[i] === 'stalled')
              .map((r) => (
                <li key={partitionKey(r)}>{stallSentence(r, now)}</li>
              ))}
          </ul>
        </div>
      ) : null}
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Rows loaded" value={formatRate(totalRate)} testId="total-rate" />
        <Stat label="Dead letters (error rate)" value={formatRate(errorRate)} testId="error-rate" />
        <Stat
          label="Lag (messages)"
          value={totalLag === null ? '—' : formatNumber(totalLag)}
          testId="total-lag"
        />
        <Stat
          label="Dead letters"
          value={dead.total === undefined ? '—' : formatNumber(dead.total)}
          testId="dead-letter-total"
        />
      </dl>

      {health.pipelines ? (
        <Panel id="pipelines" title="Pipelines">
          {pipelinesMissing ? (
            <ErrorNote title="Could not load the pipeline declarations" />
          ) : pipelines.length === 0 ? (
            <EmptyState title="No pipelines declared">
              <p>
                Declare one as a row in <code className="font-mono">etl.pipelines</code> (topic,
                target table, mapping); the worker picks it up without a restart.
              </p>
            </EmptyState>
          ) : (
            <div className="overflow-x-auto" tabIndex={0} aria-label="Pipelines, scrollable">
              <table className="w-full text-sm tabular-nums">
                <thead>
                  <tr className="border-b border-slate-200 text-left dark:border-slate-700">
                    <th scope="col" className={TH}>
                      Pipeline
                    </th>
                    <th scope="col" className={TH}>
                      Topics
                    </th>
                    <th scope="col" className={TH}>
                      Table
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Rows/s
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Lag
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Dead letters
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Errors/s
                    </th>
                    <th scope="col" className={TH}>
                      State
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {pipelines.map((p) => {
                    const mine = topicRows(p.topics);
                    const rate = offsets.tracker.total(mine.map(partitionKey), offsets.now);
                    const lag = mine.map(lagOf).filter((l): l is number => l !== null);
                    const dl = mine.reduce((a, r) => a + Number(r.dead_letters ?? 0), 0);
                    const errors = offsets.deadTracker.total(mine.map(partitionKey), offsets.now);
                    const mineStalled =
                      now === null
                        ? 0
                        : mine.filter((r) => partitionState(r, now) === 'stalled').length;
                    return (
                      <tr key={p.name} className="border-b border-slate-100 dark:border-slate-800">
                        <th scope="row" className={`${TD} text-left font-medium`}>
                          {p.name}
                        </th>
                        <td className={TD}>{(p.topics ?? []).join(', ')}</td>
                        <td className={TD}>
                          {p.target_schema && p.target_schema !== 'public'
                            ? `${p.target_schema}.`
                            : ''}
                          {p.target_table}
                        </td>
                        <td className={`${TD} text-right`}>{formatRate(rate)}</td>
                        <td className={`${TD} text-right`}>
                          {lag.length ? formatNumber(lag.reduce((a, b) => a + b, 0)) : '—'}
                        </td>
                        <td className={`${TD} text-right`}>
                          {mine.length ? formatNumber(dl) : '—'}
                        </td>
                        <td className={`${TD} text-right`}>{formatRate(errors)}</td>
                        <td
                          className={`${TD} ${mineStalled ? 'font-semibold text-red-700 dark:text-red-300' : ''}`}
                        >
                          {p.enabled === false
                            ? 'disabled'
                            : mineStalled
                              ? `${mineStalled} partition${mineStalled === 1 ? '' : 's'} stalled`
                              : mine.length
                                ? 'consuming'
                                : 'waiting for data'}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </Panel>
      ) : null}

      {health.consumerOffsets ? (
        <Panel id="partitions" title="Partitions">
          {offsets.error ? (
            <ErrorNote title="Consumer offsets unavailable" message={offsets.error} />
          ) : offsets.loading ? (
            <Skeleton className="h-32 w-full" />
          ) : rows.length === 0 ? (
            <p className="text-sm">
              The worker has not loaded anything yet: no partition is recorded.
            </p>
          ) : (
            <div className="overflow-x-auto" tabIndex={0} aria-label="Partitions, scrollable">
              <table className="w-full text-sm tabular-nums" data-testid="partitions">
                <thead>
                  <tr className="border-b border-slate-200 text-left dark:border-slate-700">
                    <th scope="col" className={TH}>
                      Topic
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Partition
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Next offset
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      High watermark
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Lag
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Rows/s
                    </th>
                    <th scope="col" className={`${TH} text-right`}>
                      Rows loaded
                    </th>
                    <th scope="col" className={TH}>
                      Group
                    </th>
                    <th scope="col" className={TH}>
                      Updated
                    </th>
                    <th scope="col" className={TH}>
                      State
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r, i) => {
                    const key = partitionKey(r);
                    const state = states[i]!;
                    return (
                      <tr key={key} className="border-b border-slate-100 dark:border-slate-800">
                        <th scope="row" className={`${TD} text-left font-normal`}>
                          {r.topic}
                        </th>
                        <td className={`${TD} text-right`}>{r.partition}</td>
                        <td className={`${TD} text-right`}>{formatNumber(r.next_offset)}</td>
                        <td className={`${TD} text-right`}>{formatNumber(r.high_watermark)}</td>
                        <td className={`${TD} text-right`} data-testid="partition-lag">
                          {formatNumber(lagOf(r))}
                        </td>
                        <td className={`${TD} text-right`}>{formatRate(offsets.rateOf(key))}</td>
                        <td className={`${TD} text-right`}>{formatNumber(r.rows_loaded)}</td>
                        <td className={TD}>{r.consumer_group}</td>
                        <td className={TD}>
                          {r.updated_at && now !== null
                            ? formatAgo(now - Date.parse(r.updated_at))
                            : '—'}
                        </td>
                        <td
                          className={`${TD} ${state === 'stalled' ? 'font-semibold text-red-700 dark:text-red-300' : ''}`}
                          data-testid="partition-state"
                          title={r.last_error ?? undefined}
                        >
                          {state === 'unknown' ? '—' : state}
                          {state === 'stalled' && r.last_error ? `: ${r.last_error}` : ''}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </Panel>
      ) : null}
    </div>
  );
}
