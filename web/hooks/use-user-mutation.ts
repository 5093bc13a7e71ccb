'use client';

/**
 * Mutations and reads of the dashboard's own tables, as the `user` role (the session's token may
 * act as it when it names a user; pages offer these actions only then — a token without a user
 * is refused the role, and the page shows that error).
 */
import { useCallback } from 'react';
import { useClient } from 'urql';

export const USER_CONTEXT = { fetchOptions: { headers: { 'x-hasura-role': 'user' } } };

export function useUserGraphQL() {
  const client = useClient();
  const context = USER_CONTEXT;
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
  return { mutate, read };
}
