import type { Metadata } from 'next';
import { PipelineHealth } from '@/components/pipelines/pipeline-health';
import { EmptyState } from '@/components/ui/empty-state';
import { CONSUMER_OFFSETS_QUERY, DEAD_LETTERS_QUERY } from '@/lib/graphql/documents';
import type { PipelineDeclaration } from '@/lib/graphql/schema-discovery';
import { fetchDiscovery, fetchPipelines, serverRequest } from '@/lib/server/graphql';
import type { DeadLetter } from '@/hooks/use-live-dead-letters';
import type { OffsetRow } from '@/lib/stream/rates';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Pipeline health' };

export default async function PipelinesPage() {
  const { health } = await fetchDiscovery();
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
  const [pipelines, offsets, deadLetters] = await Promise.all([
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
      ? serverRequest<{ dead_letters: DeadLetter[] }>('the dead letters', DEAD_LETTERS_QUERY, {
          limit: 50,
        })
          .then((r) => r.dead_letters)
          .catch(() => undefined)
      : Promise.resolve(undefined),
  ]);
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold">Pipeline health</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          What the ETL worker records: load rate and lag per partition, and the messages it refused.
        </p>
      </div>
      <PipelineHealth
        health={health}
        pipelines={(pipelines ?? []) as PipelineDeclaration[]}
        pipelinesMissing={pipelines === undefined}
        initialOffsets={offsets}
        initialDeadLetters={deadLetters}
      />
    </div>
  );
}
