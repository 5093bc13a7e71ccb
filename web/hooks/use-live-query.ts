'use client';

/**
 * The common shape of the dashboard's live queries: a urql subscription that keeps the newest
 * result, falling back to what the server rendered until the first message arrives.
 */
import { useMemo } from 'react';
import { useSubscription } from 'urql';

export interface LiveResult<T> {
  data: T | undefined;
  /** True until the first message (server data may still be shown). */
  loading: boolean;
  error: string | undefined;
  /** True once data came over the socket. */
  live: boolean;
}

const IDLE = 'subscription Idle { __typename }';

export function useLiveQuery<T>(
  query: string | null,
  variables: Record<string, unknown> | undefined,
  initial?: T,
): LiveResult<T> {
  // callers build variables inline: keep one object per distinct value so urql keeps its operation
  const varsKey = JSON.stringify(variables ?? null);
  const vars = useMemo(
    () => (JSON.parse(varsKey) as Record<string, unknown> | undefined) ?? undefined,
    [varsKey],
  );
  const [result] = useSubscription<T>({
    query: query ?? IDLE, // urql parses the document even when paused
    variables: vars,
    pause: query === null,
  });
  const data = result.data ?? initial;
  return {
    data,
    loading: result.data === undefined && initial === undefined && !result.error,
    error: result.error ? result.error.message.replace(/^\[(GraphQL|Network)\] /, '') : undefined,
    live: result.data !== undefined,
  };
}
