'use client';

/**
 * Keeps the overview's list of streams current without a reload: re-renders on the server when a
 * pipeline declaration changes (live query), and every 30 s for tables tracked without one (the
 * server reads its held schema again after a render: such a table shows within a minute).
 */
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { useLivePipelineVersions } from '@/hooks/use-live-pipeline-versions';

export function StreamsWatcher({ watchPipelines }: { watchPipelines: boolean }) {
  useLivePipelineVersions(watchPipelines);
  const router = useRouter();
  useEffect(() => {
    const t = setInterval(() => router.refresh(), 30_000);
    return () => clearInterval(t);
  }, [router]);
  return null;
}
