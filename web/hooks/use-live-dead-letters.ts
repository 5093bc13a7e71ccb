'use client';

/** Live queries on etl.dead_letters: the newest ones with their reasons, and how many in all. */
import { DEAD_LETTER_COUNT_SUBSCRIPTION, DEAD_LETTERS_SUBSCRIPTION } from '@/lib/graphql/documents';
import { useLiveQuery } from './use-live-query';

export interface DeadLetter {
  id: number | string;
  pipeline: string | null;
  source_topic: string;
  source_partition: number;
  source_offset: number | string;
  error_code: string;
  reason: string;
  created_at: string;
}

export function useLiveDeadLetters(limit: number, initial?: DeadLetter[]) {
  const list = useLiveQuery<{ dead_letters: DeadLetter[] }>(
    DEAD_LETTERS_SUBSCRIPTION,
    { limit },
    initial ? { dead_letters: initial } : undefined,
  );
  const count = useLiveQuery<{ dead_letters_aggregate: { aggregate: { count: number } | null } }>(
    DEAD_LETTER_COUNT_SUBSCRIPTION,
    undefined,
  );
  return {
    rows: list.data?.dead_letters,
    total: count.data?.dead_letters_aggregate.aggregate?.count,
    loading: list.loading,
    error: list.error ?? count.error,
  };
}
