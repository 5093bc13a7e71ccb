/** Server-side reads of dashboards, for the first render of their pages (as the `user` role). */
import 'server-only';
import { cache } from 'react';
import {
  DASHBOARD_QUERY,
  DASHBOARD_RULES_QUERY,
  DASHBOARDS_QUERY,
} from '@/lib/dashboards/documents';
import { parseDashboard, type AlertRule } from '@/lib/dashboards/model';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { EntityOption } from './entity-option';
import { serverRequest } from './graphql';
import { fetchEntities } from './streams';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A dashboard and its panels (read once per request: the page's title and body share it). */
export const fetchDashboard = cache(async (id: string) => {
  if (!UUID.test(id)) return null;
  const res = await serverRequest<{ dashboard: Record<string, unknown> | null }>(
    'the dashboard',
    DASHBOARD_QUERY,
    { id },
    { asUser: true },
  );
  return res.dashboard ? parseDashboard(res.dashboard) : null;
});

export interface DashboardSummary {
  id: string;
  owner_id: string | null;
  title: string;
  description: string;
  shared: boolean;
  stream: string | null;
  panels_aggregate: Array<{ id: string }>;
}

export async function fetchDashboards(): Promise<DashboardSummary[]> {
  const res = await serverRequest<{ dashboards: DashboardSummary[] }>(
    'the dashboards',
    DASHBOARDS_QUERY,
    {},
    { asUser: true },
  );
  return res.dashboards;
}

/** The rules on a dashboard's panels (needs no panel ids: read at once with the dashboard). */
export async function fetchDashboardRules(dashboardId: string): Promise<AlertRule[]> {
  if (!UUID.test(dashboardId)) return [];
  const res = await serverRequest<{ rules: AlertRule[] }>(
    'the alert rules',
    DASHBOARD_RULES_QUERY,
    { dashboard: dashboardId },
    { asUser: true },
  );
  return res.rules;
}

/**
 * The entities each stream's panels may pick from (a stream that cannot list them gets none);
 * `only` names, per stream, the entities whose labels are all that is needed (a reader's panels
 * that name their entities pick nothing).
 */
export async function entityOptionsOf(
  streams: DiscoveredStream[],
  canReadEntities: boolean,
  only: Record<string, string[]> = {},
): Promise<Record<string, EntityOption[]>> {
  const out: Record<string, EntityOption[]> = {};
  await Promise.all(
    streams.map(async (s) => {
      out[s.name] = await fetchEntities(s, canReadEntities, only[s.name]).catch(() => []);
    }),
  );
  return out;
}
