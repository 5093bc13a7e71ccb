'use client';

/**
 * A panel's alert rules: the ones declared (enable, disable, delete for their owner) and a form to
 * declare one — a metric of the panel above or below a threshold for at least so many seconds, for
 * the panel's entities or all of the stream's. The worker evaluates it on the points as they load.
 */
import { useEffect, useRef, useState } from 'react';
import { BUTTON, DANGER, FIELD, PRIMARY } from '@/components/ui/styles';
import type { AlertRule, PanelSpec } from '@/lib/dashboards/model';

export interface RuleDraft {
  name: string;
  metric: string;
  op: 'above' | 'below';
  threshold: number;
  for_seconds: number;
  entity_ids: number[] | null;
}

export function AlertRulesDialog({
  panel,
  rules,
  entityIds,
  canEdit,
  onCreate,
  onToggle,
  onDelete,
  onClose,
}: {
  panel: PanelSpec | null;
  rules: readonly AlertRule[];
  entityIds: readonly string[] | null;
  canEdit: boolean;
  onCreate: (draft: RuleDraft) => Promise<void>;
  onToggle: (rule: AlertRule) => Promise<void>;
  onDelete: (rule: AlertRule) => Promise<void>;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [metric, setMetric] = useState('');
  const [op, setOp] = useState<'above' | 'below'>('above');
  const [threshold, setThreshold] = useState('');
  const [forSeconds, setForSeconds] = useState('0');
  const [scope, setScope] = useState<'panel' | 'all'>('panel');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (panel && !d.open) {
      setMetric(panel.metrics[0] ?? '');
      setThreshold('');
      setForSeconds('0');
      setName('');
      setError(null);
      d.showModal();
    }
    if (!panel && d.open) d.close();
  }, [panel]);

  if (!panel) return <dialog ref={dialog} onClose={onClose} aria-label="Alert rules" />;

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const t = Number(threshold);
    const f = Number(forSeconds);
    if (threshold.trim() === '' || !Number.isFinite(t))
      return setError('The threshold must be a number.');
    if (!Number.isInteger(f) || f < 0 || f > 604_800)
      return setError('“For” is whole seconds, 0 to 604800.');
    void run(async () => {
      await onCreate({
        name: name.trim() || `${metric} ${op} ${t}`,
        metric,
        op,
        threshold: t,
        for_seconds: f,
        entity_ids: scope === 'panel' && entityIds ? entityIds.map(Number) : null,
      });
      setThreshold('');
      setName('');
    });
  };

  return (
    <dialog
      ref={dialog}
      onClose={onClose}
      aria-labelledby="alert-rules-title"
      className="m-auto w-[min(40rem,95vw)] rounded-lg border border-slate-300 bg-white p-0 text-slate-900 backdrop:bg-black/40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <div className="space-y-3 p-4" data-testid="alert-rules">
        <h2 id="alert-rules-title" className="text-lg font-semibold">
          Alert rules of “{panel.title}”
        </h2>
        {rules.length === 0 ? (
          <p className="text-sm">No rule yet.</p>
        ) : (
          <ul className="divide-y divide-slate-200 text-sm dark:divide-slate-700">
            {rules.map((r) => (
              <li key={r.id} className="flex flex-wrap items-center gap-2 py-1.5">
                <span className="font-medium">{r.name}</span>
                <span className="text-slate-600 dark:text-slate-400">
                  {r.metric} {r.op} {r.threshold}
                  {r.for_seconds ? ` for ${r.for_seconds} s` : ''} ·{' '}
                  {r.entity_ids ? `${r.entity_ids.length} entities` : 'every entity'}
                  {r.enabled ? '' : ' · disabled'}
                </span>
                {canEdit ? (
                  <span className="ml-auto flex gap-1">
                    <button
                      type="button"
                      className={BUTTON}
                      disabled={busy}
                      onClick={() => void run(() => onToggle(r))}
                    >
                      {r.enabled ? 'Disable' : 'Enable'}
                      <span className="sr-only"> {r.name}</span>
                    </button>
                    <button
                      type="button"
                      className={DANGER}
                      disabled={busy}
                      onClick={() => void run(() => onDelete(r))}
                    >
                      Delete<span className="sr-only"> {r.name}</span>
                    </button>
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        {canEdit ? (
          <form
            onSubmit={submit}
            className="space-y-2 rounded border border-slate-200 p-3 dark:border-slate-700"
            data-testid="alert-rule-form"
          >
            <h3 className="font-medium">Declare a rule</h3>
            <div className="grid gap-2 sm:grid-cols-2">
              <label className="flex flex-col gap-1 text-sm">
                Name
                <input
                  className={FIELD}
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  maxLength={200}
                  placeholder={`${metric} ${op} …`}
                />
              </label>
              <label className="flex flex-col gap-1 text-sm">
                Metric
                <select
                  className={FIELD}
                  value={metric}
                  onChange={(e) => setMetric(e.target.value)}
                >
                  {panel.metrics.map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              </label>
              <label className="flex flex-col gap-1 text-sm">
                When it is
                <select
                  className={FIELD}
                  value={op}
                  onChange={(e) => setOp(e.target.value as 'above' | 'below')}
                >
                  <option value="above">above</option>
                  <option value="below">below</option>
                </select>
              </label>
              <label className="flex flex-col gap-1 text-sm">
                Threshold
                <input
                  className={FIELD}
                  inputMode="decimal"
                  value={threshold}
                  onChange={(e) => setThreshold(e.target.value)}
                  required
                />
              </label>
              <label className="flex flex-col gap-1 text-sm">
                For at least (seconds)
                <input
                  className={FIELD}
                  inputMode="numeric"
                  value={forSeconds}
                  onChange={(e) => setForSeconds(e.target.value)}
                />
              </label>
              <label className="flex flex-col gap-1 text-sm">
                Entities
                <select
                  className={FIELD}
                  value={scope}
                  onChange={(e) => setScope(e.target.value as 'panel' | 'all')}
                >
                  <option value="panel" disabled={!entityIds}>
                    The panel’s ({entityIds?.length ?? 0})
                  </option>
                  <option value="all">Every entity of the stream</option>
                </select>
              </label>
            </div>
            <button type="submit" className={PRIMARY} disabled={busy}>
              Save rule
            </button>
          </form>
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Only the dashboard’s owner declares rules here.
          </p>
        )}
        {error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-300">
            {error}
          </p>
        ) : null}
        <div className="flex justify-end">
          <button type="button" className={BUTTON} onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </dialog>
  );
}
