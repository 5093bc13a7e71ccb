'use client';

/**
 * Mutations and reads of the dashboard's own tables, as the `user` role (the session's token may
 * act as it when it names a user). Without a user they run as the session's role, which the
 * permissions keep read-only.
 */
import { useCallback, useMemo } from 'react';
import { useClient } from 'urql';
import { useSession } from '@/components/providers/graphql-provider';

export const USER_CONTEXT = { fetchOptions: { headers: { 'x-hasura-role': 'user' } } };

export function useUserGraphQL() {
  const client = useClient();
  const session = useSession();
  const asUser = !!session?.userId && session.role !== 'user';
  const context = useMemo(() => (asUser ? USER_CONTEXT : {}), [asUser]);
  const mutate = useCallback(
    async <T>(document: string, variables: Record<string, unknown>): Promise<T> => {
      const res = await client.mutation<T>(document, variables, context).toPromise();
      if (res.error) throw new Error(res.error.message.replace(/^\[(GraphQL|Network)\] /, ''));
      return res.data as T;
    },
    [client, context],
  );
  const read = useCallback(
    async <T>(document: string, variables: Record<string, unknown>): Promise<T> => {
      const res = await client
        .query<T>(document, variables, { ...context, requestPolicy: 'network-only' })
        .toPromise();
      if (res.error) throw new Error(res.error.message.replace(/^\[(GraphQL|Network)\] /, ''));
      return res.data as T;
    },
    [client, context],
  );
  return { mutate, read, userId: session?.userId ?? null };
}
