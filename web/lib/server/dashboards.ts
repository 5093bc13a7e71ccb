/** Server-side reads of dashboards, for the first render of their pages (as the `user` role). */
import 'server-only';
import { DASHBOARD_QUERY, DASHBOARDS_QUERY, RULES_QUERY } from '@/lib/dashboards/documents';
import { parseDashboard, type AlertRule } from '@/lib/dashboards/model';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { EntityOption } from './entity-option';
import { serverRequest } from './graphql';
import { fetchEntities } from './streams';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function fetchDashboard(id: string) {
  if (!UUID.test(id)) return null;
  const res = await serverRequest<{ dashboard: Record<string, unknown> | null }>(
    'the dashboard',
    DASHBOARD_QUERY,
    { id },
    { asUser: true },
  );
  return res.dashboard ? parseDashboard(res.dashboard) : null;
}

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

export async function fetchRules(panelIds: string[]): Promise<AlertRule[]> {
  if (panelIds.length === 0) return [];
  const res = await serverRequest<{ rules: AlertRule[] }>(
    'the alert rules',
    RULES_QUERY,
    { panels: panelIds },
    { asUser: true },
  );
  return res.rules;
}

/** The entities each stream's panels may pick from (a stream that cannot list them gets none). */
export async function entityOptionsOf(
  streams: DiscoveredStream[],
  canReadEntities: boolean,
): Promise<Record<string, EntityOption[]>> {
  const out: Record<string, EntityOption[]> = {};
  await Promise.all(
    streams.map(async (s) => {
      out[s.name] = await fetchEntities(s, canReadEntities).catch(() => []);
    }),
  );
  return out;
}
