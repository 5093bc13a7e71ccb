import type { ReactNode } from 'react';

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 p-4 text-sm dark:border-slate-700">
      <p className="font-medium">{title}</p>
      {children ? (
        <div className="mt-2 space-y-2 text-slate-700 dark:text-slate-300">{children}</div>
      ) : null}
    </div>
  );
}

/** How a data admin adds a stream: a table and a pipeline declaration, no code. */
export function HowToAddStream() {
  return (
    <EmptyState title="No streams yet">
      <p>A stream is declared, not coded. To add one:</p>
      <ol className="list-decimal space-y-1 pl-5">
        <li>
          Add its table in a migration under{' '}
          <code className="font-mono">hasura/migrations/default/</code> (a{' '}
          <code className="font-mono">timestamptz</code> time column and numeric fields) and apply
          it.
        </li>
        <li>
          Track the table and grant the <code className="font-mono">viewer</code> role select (with
          streaming) in <code className="font-mono">hasura/metadata</code>, then{' '}
          <code className="font-mono">hasura metadata apply</code>.
        </li>
        <li>
          Declare its pipeline: one row in <code className="font-mono">etl.pipelines</code> naming
          the Kafka topic, the target table and the field mapping. The worker picks it up without a
          restart.
        </li>
      </ol>
      <p>It appears here as soon as the schema shows it, without a rebuild.</p>
    </EmptyState>
  );
}
