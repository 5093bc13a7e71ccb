'use client';

import { useConnectionState } from '@/hooks/use-connection-state';
import type { ConnectionStatus as Status } from '@/lib/live/connection-state';

const LABELS: Record<Status, string> = {
  idle: 'Idle',
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  error: 'Offline',
};

const DOT: Record<Status, string> = {
  idle: 'bg-slate-400',
  connecting: 'bg-amber-500',
  connected: 'bg-emerald-500',
  reconnecting: 'bg-amber-500 animate-pulse',
  error: 'bg-red-600',
};

/** The live connection's state, announced politely to screen readers when it changes. */
export function ConnectionStatus() {
  const s = useConnectionState();
  const detail = [
    s.role ? `role ${s.role}` : undefined,
    s.attempt > 0 ? `attempt ${s.attempt}` : undefined,
    s.error,
    s.tokenExpiresAt
      ? `token until ${new Date(s.tokenExpiresAt).toISOString().slice(11, 19)} UTC`
      : undefined,
    s.renewals ? `renewed ${s.renewals}×` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="connection-status"
      data-status={s.status}
      data-renewals={s.renewals}
      title={detail}
      className="flex items-center gap-2 rounded border border-slate-300 px-2 py-1 text-sm dark:border-slate-600"
    >
      <span
        aria-hidden="true"
        className={`inline-block h-2.5 w-2.5 rounded-full ${DOT[s.status]}`}
      />
      <span>{LABELS[s.status]}</span>
      {s.status === 'reconnecting' && s.attempt > 1 ? (
        <span className="text-xs text-slate-600 dark:text-slate-400">(try {s.attempt})</span>
      ) : null}
    </div>
  );
}
