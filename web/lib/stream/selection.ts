/**
 * What a stream page shows (entity, metrics, window), as it appears in the URL, so a reload or a
 * shared link shows the same thing.
 */
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { findWindow, type WindowKey } from './windows';

export interface Selection {
  entity: string | null;
  metrics: string[];
  window: WindowKey;
}

type Params = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export const DEFAULT_METRIC_COUNT = 2;

export function parseSelection(
  stream: DiscoveredStream,
  params: Params,
  entityIds: readonly string[],
): Selection {
  const known = stream.metrics.map((m) => m.name);
  const asked = (first(params.metrics) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((m) => known.includes(m));
  const metrics = asked.length ? [...new Set(asked)] : known.slice(0, DEFAULT_METRIC_COUNT);
  let entity: string | null = null;
  if (stream.entityField) {
    const e = first(params.entity);
    entity = e && /^[0-9]+$/.test(e) ? e : (entityIds[0] ?? null);
  }
  return { entity, metrics, window: findWindow(first(params.window)).key };
}

export function selectionQuery(s: Selection): string {
  const q = new URLSearchParams();
  if (s.entity !== null) q.set('entity', s.entity);
  q.set('metrics', s.metrics.join(','));
  q.set('window', s.window);
  return q.toString();
}

export function selectionKey(s: Selection): string {
  return JSON.stringify([s.entity, s.metrics, s.window]);
}
