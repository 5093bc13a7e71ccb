'use client';

/**
 * The common shape of the dashboard's live queries: a urql subscription that keeps the newest
 * result. Until its first message, the segment shows what the server rendered, or else the same
 * selection fetched once over HTTP, so no segment waits on the socket to show data.
 */
import { useMemo } from 'react';
import { useQuery, useSubscription } from 'urql';

export interface LiveResult<T> {
  data: T | undefined;
  /** True while there is nothing to show yet. */
  loading: boolean;
  error: string | undefined;
  /** True once data came over the socket. */
  live: boolean;
}

// urql parses a document even when paused: valid stand-ins for "nothing to run"
const IDLE_SUBSCRIPTION = 'subscription Idle { __typename }';
const IDLE_QUERY = 'query Idle { __typename }';

function message(error: { message: string } | undefined): string | undefined {
  return error ? error.message.replace(/^\[(GraphQL|Network)\] /, '') : undefined;
}

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
    query: query ?? IDLE_SUBSCRIPTION,
    variables: vars,
    pause: query === null,
  });
  const once = useMemo(
    () => (query ? query.replace(/^\s*subscription\b/, 'query') : IDLE_QUERY),
    [query],
  );
  const [first] = useQuery<T>({
    query: once,
    variables: vars,
    requestPolicy: 'network-only',
    // only in the browser, and only when the server rendered nothing for this segment
    pause:
      query === null ||
      initial !== undefined ||
      typeof window === 'undefined' ||
      result.data !== undefined,
  });
  const data = result.data ?? first.data ?? initial;
  const error = message(result.error) ?? (data === undefined ? message(first.error) : undefined);
  return {
    data,
    loading: data === undefined && !error && query !== null,
    error,
    live: result.data !== undefined,
  };
}
