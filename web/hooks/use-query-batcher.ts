'use client';

/** The page's query batcher (lib/graphql/batch.ts), over the urql client of the provider. */
import { useClient, type Client } from 'urql';
import { QueryBatcher } from '@/lib/graphql/batch';

const batchers = new WeakMap<Client, QueryBatcher>();

export function useQueryBatcher(): QueryBatcher {
  const client = useClient();
  let batcher = batchers.get(client);
  if (!batcher) {
    batcher = new QueryBatcher(async (document, variables) => {
      const res = await client.query(document, variables).toPromise();
      return { data: res.data as Record<string, unknown> | null | undefined, error: res.error };
    });
    batchers.set(client, batcher);
  }
  return batcher;
}
