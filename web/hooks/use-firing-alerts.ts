'use client';

/** Live: the firing alerts of some rules (or of every rule the role reads). */
import { useMemo } from 'react';
import { ALL_FIRING_ALERTS, FIRING_ALERTS } from '@/lib/dashboards/documents';
import type { AlertRow } from '@/lib/dashboards/model';
import { useLiveQuery } from './use-live-query';

export function useFiringAlerts(ruleIds: readonly string[] | null, enabled: boolean) {
  const key = ruleIds ? ruleIds.join(',') : '*';
  const vars = useMemo(
    () => (ruleIds ? { rules: key ? key.split(',') : [] } : undefined),
    [key, ruleIds],
  );
  const query =
    !enabled || (ruleIds && ruleIds.length === 0)
      ? null
      : ruleIds
        ? FIRING_ALERTS
        : ALL_FIRING_ALERTS;
  const res = useLiveQuery<{ alerts: AlertRow[] }>(query, vars);
  return { alerts: res.data?.alerts ?? [], error: res.error, live: res.live };
}
