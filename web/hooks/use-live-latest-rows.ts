'use client';

/** Live query: the newest rows of a stream (of one entity, or of all), newest first. */
import { useMemo } from 'react';
import { latestRowsSubscription } from '@/lib/graphql/documents';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { Row } from '@/lib/stream/stream-buffer';
import { useLiveQuery, type LiveResult } from './use-live-query';

export function useLiveLatestRows(
  stream: DiscoveredStream,
  fields: readonly string[],
  entity: string | number | null,
  limit: number,
  initial?: Row[],
): LiveResult<Row[]> {
  const withEntity = entity !== null && stream.entityField !== undefined;
  const query = useMemo(
    () => latestRowsSubscription(stream, fields, withEntity),
    [stream, fields, withEntity],
  );
  const result = useLiveQuery<{ rows: Row[] }>(
    query,
    { limit, ...(withEntity ? { entity } : {}) },
    initial ? { rows: initial } : undefined,
  );
  return { ...result, data: result.data?.rows };
}
