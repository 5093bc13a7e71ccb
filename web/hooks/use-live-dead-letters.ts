'use client';

/** Live count of the dead letters (the list itself is a server-rendered, filtered page). */
import { DEAD_LETTER_COUNT_SUBSCRIPTION } from '@/lib/graphql/documents';
import { useLiveQuery } from './use-live-query';

export function useLiveDeadLetterCount(enabled: boolean) {
  const count = useLiveQuery<{ dead_letters_aggregate: { aggregate: { count: number } | null } }>(
    enabled ? DEAD_LETTER_COUNT_SUBSCRIPTION : null,
    undefined,
  );
  return { total: count.data?.dead_letters_aggregate.aggregate?.count, error: count.error };
}
