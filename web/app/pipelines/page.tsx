import type { Metadata } from 'next';
import { DeadLetterList, type DeadLetterRow } from '@/components/pipelines/dead-letter-list';
import { PipelineHealth } from '@/components/pipelines/pipeline-health';
import { EmptyState } from '@/components/ui/empty-state';
import { ErrorNote } from '@/components/ui/error-note';
import { Panel } from '@/components/ui/panel';
import { CONSUMER_OFFSETS_QUERY } from '@/lib/graphql/documents';
import type { PipelineDeclaration } from '@/lib/graphql/schema-discovery';
import {
  deadLettersDocument,
  deadLettersVariables,
  parseFilter,
} from '@/lib/pipelines/dead-letter-query';
import { fetchDiscovery } from '@/lib/server/discovery';
import { fetchPipelines, serverRequest } from '@/lib/server/graphql';
import type { OffsetRow } from '@/lib/stream/rates';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Pipeline health' };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function PipelinesPage({ searchParams }: Props) {
  const [{ health, app }, params] = await Promise.all([fetchDiscovery(), searchParams]);
  if (!health.pipelines && !health.consumerOffsets && !health.deadLetters) {
    return (
      <div className="space-y-4">
        <h1 className="text-xl font-semibold">Pipeline health</h1>
        <EmptyState title="Your role cannot read the pipelines">
          <p>Pipeline health is shown to the viewer role; ask an administrator for access.</p>
        </EmptyState>
      </div>
    );
  }
  const filter = parseFilter(params);
  const [pipelines, offsets, dead] = await Promise.all([
    health.pipelines ? fetchPipelines().catch(() => undefined) : Promise.resolve(undefined),
    health.consumerOffsets
      ? serverRequest<{ consumer_offsets: OffsetRow[] }>(
          'the consumer offsets',
          CONSUMER_OFFSETS_QUERY,
        )
          .then((r) => r.consumer_offsets)
          .catch(() => undefined)
      : Promise.resolve(undefined),
    health.deadLetters
      ? serverRequest<{
          page: DeadLetterRow[];
          total: { aggregate: { count: number } | null };
          codes: Array<{ error_code: string }>;
        }>(
          'the dead letters',
          deadLettersDocument(app.deadLetterPreview),
          deadLettersVariables(filter),
        ).then(
          (r) => r,
          (err: Error) => err,
        )
      : Promise.resolve(undefined),
  ]);
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold">Pipeline health</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          What the ETL worker records: load and error rates, lag and stalls per partition, and the
          messages it refused.
        </p>
      </div>
      <PipelineHealth
        health={health}
        pipelines={(pipelines ?? []) as PipelineDeclaration[]}
        pipelinesMissing={pipelines === undefined}
        initialOffsets={offsets}
      />
      {health.deadLetters ? (
        <Panel id="dead-letters" title="Dead letters">
          {dead instanceof Error ? (
            <ErrorNote title="Dead letters unavailable" message={dead.message} />
          ) : dead ? (
            <DeadLetterList
              rows={dead.page}
              total={dead.total.aggregate?.count ?? 0}
              codes={dead.codes.map((c) => c.error_code)}
              pipelines={(pipelines ?? []).map((p) => p.name)}
              filter={filter}
            />
          ) : null}
          {!app.deadLetterPreview ? (
            <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
              Your role may not read the refused messages themselves.
            </p>
          ) : null}
        </Panel>
      ) : null}
    </div>
  );
}
