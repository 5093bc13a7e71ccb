/**
 * One page of dead letters (server-rendered from the URL's filters), with the filter form (a GET
 * form: every filtered page is a link) and the original message of each, shown safely.
 */
import Link from 'next/link';
import { BUTTON, FIELD } from '@/components/ui/styles';
import { formatDateTime, formatNumber } from '@/lib/format';
import { filterQuery, PAGE_SIZE, type DeadLetterFilter } from '@/lib/pipelines/dead-letter-query';
import { hexDump, hexToBytes, textPreview } from '@/lib/pipelines/preview';

export interface DeadLetterRow {
  id: number | string;
  pipeline: string | null;
  source_topic: string;
  source_partition: number;
  source_offset: number | string;
  error_code: string;
  reason: string;
  created_at: string;
  message_size?: number | null;
  message_preview?: string | null;
}

export function DeadLetterList({
  rows,
  total,
  codes,
  pipelines,
  filter,
}: {
  rows: DeadLetterRow[];
  total: number;
  codes: string[];
  pipelines: string[];
  filter: DeadLetterFilter;
}) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <div className="space-y-3">
      <form
        method="get"
        action="/pipelines"
        className="flex flex-wrap items-end gap-2"
        aria-label="Filter the dead letters"
      >
        <label className="flex flex-col text-xs">
          Pipeline
          <select name="pipeline" defaultValue={filter.pipeline ?? ''} className={FIELD}>
            <option value="">Any</option>
            {pipelines.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label className="flex flex-col text-xs">
          Code
          <select name="code" defaultValue={filter.code ?? ''} className={FIELD}>
            <option value="">Any</option>
            {codes.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label className="flex flex-col text-xs">
          From (UTC)
          <input
            type="datetime-local"
            name="from"
            defaultValue={filter.from?.slice(0, 16) ?? ''}
            className={FIELD}
          />
        </label>
        <label className="flex flex-col text-xs">
          To (UTC)
          <input
            type="datetime-local"
            name="to"
            defaultValue={filter.to?.slice(0, 16) ?? ''}
            className={FIELD}
          />
        </label>
        <button type="submit" className={BUTTON}>
          Filter
        </button>
        <Link href="/pipelines#dead-letters" className="text-sm underline">
          Clear
        </Link>
      </form>
      <p className="text-sm" role="status" data-testid="dead-letter-count">
        {formatNumber(total)} dead letter{total === 1 ? '' : 's'}
        {total > 0 ? `, page ${filter.page} of ${pages}` : ''}
      </p>
      {rows.length === 0 ? (
        <p className="text-sm">
          No message was refused
          {filter.pipeline || filter.code || filter.from || filter.to
            ? ' that matches these filters'
            : ''}
          .
        </p>
      ) : (
        <ul className="divide-y divide-slate-100 dark:divide-slate-800" data-testid="dead-letters">
          {rows.map((d) => {
            const bytes = d.message_preview ? hexToBytes(d.message_preview) : null;
            return (
              <li key={String(d.id)} className="py-2 text-sm">
                <div className="flex flex-wrap gap-x-3 gap-y-1">
                  <span className="rounded bg-red-100 px-1.5 font-mono text-xs text-red-900 dark:bg-red-950 dark:text-red-100">
                    {d.error_code}
                  </span>
                  <span className="font-medium">{d.pipeline ?? 'no pipeline'}</span>
                  <span className="text-slate-600 dark:text-slate-400">
                    {d.source_topic}[{d.source_partition}] @ {String(d.source_offset)}
                  </span>
                  <span className="ml-auto text-slate-600 dark:text-slate-400">
                    {formatDateTime(d.created_at)}
                  </span>
                </div>
                <p className="mt-1 break-words">{d.reason}</p>
                {bytes ? (
                  <details className="mt-1">
                    <summary className="cursor-pointer text-xs text-blue-800 dark:text-blue-300">
                      Original message ({formatNumber(d.message_size ?? bytes.length)} bytes
                      {(d.message_size ?? 0) > bytes.length ? `, first ${bytes.length} shown` : ''})
                    </summary>
                    <p className="mt-1 text-xs font-medium">As text</p>
                    <pre
                      className="max-h-48 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 text-xs dark:bg-slate-800"
                      data-testid="message-text"
                    >
                      {textPreview(bytes)}
                    </pre>
                    <p className="mt-1 text-xs font-medium">Bytes</p>
                    <pre className="max-h-48 overflow-auto rounded bg-slate-100 p-2 text-xs dark:bg-slate-800">
                      {hexDump(bytes)}
                    </pre>
                  </details>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
      {pages > 1 ? (
        <nav aria-label="Dead-letter pages" className="flex gap-2">
          {filter.page > 1 ? (
            <Link
              className={BUTTON}
              href={`/pipelines?${filterQuery(filter, filter.page - 1)}#dead-letters`}
              rel="prev"
            >
              Newer
            </Link>
          ) : null}
          {filter.page < pages ? (
            <Link
              className={BUTTON}
              href={`/pipelines?${filterQuery(filter, filter.page + 1)}#dead-letters`}
              rel="next"
              data-testid="older-dead-letters"
            >
              Older
            </Link>
          ) : null}
        </nav>
      ) : null}
    </div>
  );
}
