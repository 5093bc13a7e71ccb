/**
 * bench/web's page: six live charts fed by in-page synthetic data through the same chart
 * component as the stream page. Served only when STREAMSYNC_BENCH_PAGES=1 (404 otherwise); it
 * reads nothing from the GraphQL server either way.
 */
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { ChartBench } from '@/components/bench/chart-bench';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Chart bench', robots: { index: false } };

export default async function ChartBenchPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | undefined>>;
}) {
  if (process.env.STREAMSYNC_BENCH_PAGES !== '1') notFound();
  const q = await searchParams;
  const panels = Math.min(24, Math.max(1, Number(q.panels) || 6));
  const points = Math.min(100_000, Math.max(10, Number(q.points) || 3600));
  return <ChartBench panels={panels} points={points} />;
}
