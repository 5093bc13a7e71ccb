'use client';

/**
 * Live query on the pipeline declarations' names and versions: when a stream is declared,
 * changed or removed at run time, the page re-renders on the server (re-discovering streams).
 */
import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';
import { PIPELINES_SUBSCRIPTION } from '@/lib/graphql/documents';
import { useLiveQuery } from './use-live-query';

export function useLivePipelineVersions(enabled: boolean): void {
  const router = useRouter();
  const result = useLiveQuery<{
    pipelines: Array<{ name: string; version: number; enabled: boolean }>;
  }>(enabled ? PIPELINES_SUBSCRIPTION : null, undefined);
  const signature = result.data ? JSON.stringify(result.data.pipelines) : undefined;
  const first = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (signature === undefined) return;
    if (first.current === undefined) {
      first.current = signature;
      return;
    }
    if (first.current !== signature) {
      first.current = signature;
      router.refresh();
    }
  }, [signature, router]);
}
