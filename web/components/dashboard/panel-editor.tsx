'use client';

/**
 * Add or edit a panel: stream, metrics, which entities, bucket, aggregate, visualisation, width.
 * A native modal dialog (focus kept inside, Escape closes it); saving is the caller's mutation.
 */
import { useEffect, useRef, useState } from 'react';
import { BUTTON, FIELD, PRIMARY } from '@/components/ui/styles';
import {
  BUCKETS,
  entityCap,
  VISUALIZATIONS,
  WIDTHS,
  type EntitySelection,
  type PanelSpec,
} from '@/lib/dashboards/model';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import { AGGREGATES } from '@/lib/series/agg';
import type { EntityOption } from '@/lib/server/entity-option';

export type PanelDraft = Omit<PanelSpec, 'id' | 'dashboard_id'>;

const VIS_LABEL: Record<string, string> = {
  line: 'Line',
  area: 'Area',
  bar: 'Bars',
  stat: 'Stat with sparkline',
  table: 'Table',
  heatmap: 'Heatmap across entities',
};

export function PanelEditor({
  open,
  initial,
  streams,
  entityOptions,
  onSave,
  onClose,
}: {
  open: boolean;
  initial: PanelDraft;
  streams: readonly DiscoveredStream[];
  entityOptions: (stream: string) => readonly EntityOption[];
  onSave: (draft: PanelDraft) => Promise<void>;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [matchKey, setMatchKey] = useState('');
  const [matchValue, setMatchValue] = useState('');

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setDraft(initial);
      setError(null);
      const m =
        initial.entities.mode === 'match' ? Object.entries(initial.entities.match)[0] : undefined;
      setMatchKey(m?.[0] ?? '');
      setMatchValue(m?.[1] ?? '');
      d.showModal();
    }
    if (!open && d.open) d.close();
  }, [open, initial]);

  const stream = streams.find((s) => s.name === draft.stream);
  const options = entityOptions(draft.stream);
  const set = (patch: Partial<PanelDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setMode = (mode: EntitySelection['mode']) =>
    set({
      entities:
        mode === 'ids'
          ? { mode, ids: options.slice(0, 3).map((o) => Number(o.id)) }
          : mode === 'match'
            ? { mode, match: {} }
            : { mode },
    });

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (draft.metrics.length === 0) return setError('Pick at least one metric.');
    let entities = draft.entities;
    if (entities.mode === 'match') {
      if (!matchKey.trim()) return setError('Name the attribute to match.');
      entities = { mode: 'match', match: { [matchKey.trim()]: matchValue } };
    }
    const cap = entityCap(draft.visualization, draft.metrics.length);
    if (entities.mode === 'ids' && entities.ids.length > cap)
      return setError(
        `At most ${cap} entities with ${draft.metrics.length} metric(s) on a ${draft.visualization} panel.`,
      );
    setSaving(true);
    setError(null);
    try {
      await onSave({ ...draft, entities });
      onClose();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      onClose={onClose}
      aria-labelledby="panel-editor-title"
      className="m-auto w-[min(44rem,95vw)] rounded-lg border border-slate-300 bg-white p-0 text-slate-900 backdrop:bg-black/40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <form onSubmit={submit} className="space-y-3 p-4" data-testid="panel-editor">
        <h2 id="panel-editor-title" className="text-lg font-semibold">
          {initial.title ? `Edit “${initial.title}”` : 'Add a panel'}
        </h2>
        <div className="grid gap-3 sm:grid-cols-2">
          <label className="flex flex-col gap-1 text-sm">
            Title
            <input
              className={FIELD}
              value={draft.title}
              onChange={(e) => set({ title: e.target.value })}
              maxLength={200}
              placeholder="e.g. Roof temperature"
            />
          </label>
          <label className="flex flex-col gap-1 text-sm">
            Stream
            <select
              className={FIELD}
              value={draft.stream}
              onChange={(e) => {
                const s = streams.find((x) => x.name === e.target.value);
                set({
                  stream: e.target.value,
                  metrics: s ? [s.metrics[0]!.name] : [],
                  entities: { mode: 'dashboard' },
                });
              }}
            >
              {streams.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.title}
                </option>
              ))}
            </select>
          </label>
        </div>
        <fieldset className="text-sm">
          <legend className="mb-1 font-medium">Metrics</legend>
          <div className="flex flex-wrap gap-x-4 gap-y-1">
            {(stream?.metrics ?? []).map((m) => (
              <label key={m.name} className="flex items-center gap-1">
                <input
                  type="checkbox"
                  className="h-4 w-4 accent-blue-700"
                  checked={draft.metrics.includes(m.name)}
                  onChange={(e) =>
                    set({
                      metrics: e.target.checked
                        ? (stream?.metrics ?? [])
                            .map((x) => x.name)
                            .filter((x) => x === m.name || draft.metrics.includes(x))
                        : draft.metrics.filter((x) => x !== m.name),
                    })
                  }
                />
                {m.name}
              </label>
            ))}
          </div>
        </fieldset>
        {stream?.entityField ? (
          <fieldset className="text-sm">
            <legend className="mb-1 font-medium">Entities</legend>
            <div className="flex flex-wrap gap-x-4 gap-y-1">
              {(
                [
                  ['dashboard', 'Those picked on the dashboard'],
                  ['ids', 'These'],
                  ['match', 'By attribute'],
                  ['all', 'All'],
                ] as const
              ).map(([mode, label]) => (
                <label key={mode} className="flex items-center gap-1">
                  <input
                    type="radio"
                    name="entity-mode"
                    className="h-4 w-4 accent-blue-700"
                    checked={draft.entities.mode === mode}
                    onChange={() => setMode(mode)}
                  />
                  {label}
                </label>
              ))}
            </div>
            {draft.entities.mode === 'ids' ? (
              <div
                className="mt-2 max-h-40 overflow-auto rounded border border-slate-200 p-2 dark:border-slate-700"
                role="group"
                aria-label="Entities of this panel"
              >
                {options.map((o) => {
                  const ids = (draft.entities as { ids: number[] }).ids;
                  return (
                    <label key={o.id} className="flex items-center gap-2">
                      <input
                        type="checkbox"
                        className="h-4 w-4 accent-blue-700"
                        checked={ids.includes(Number(o.id))}
                        onChange={(e) =>
                          set({
                            entities: {
                              mode: 'ids',
                              ids: e.target.checked
                                ? [...ids, Number(o.id)]
                                : ids.filter((x) => x !== Number(o.id)),
                            },
                          })
                        }
                      />
                      {o.label}
                    </label>
                  );
                })}
              </div>
            ) : null}
            {draft.entities.mode === 'match' ? (
              <div className="mt-2 flex flex-wrap gap-2">
                <label className="flex flex-col text-xs">
                  Attribute
                  <input
                    className={FIELD}
                    value={matchKey}
                    onChange={(e) => setMatchKey(e.target.value)}
                    placeholder="site"
                  />
                </label>
                <label className="flex flex-col text-xs">
                  Value
                  <input
                    className={FIELD}
                    value={matchValue}
                    onChange={(e) => setMatchValue(e.target.value)}
                    placeholder="north"
                  />
                </label>
              </div>
            ) : null}
          </fieldset>
        ) : null}
        <div className="grid gap-3 sm:grid-cols-4">
          <label className="flex flex-col gap-1 text-sm">
            Visualisation
            <select
              className={FIELD}
              value={draft.visualization}
              onChange={(e) =>
                set({ visualization: e.target.value as PanelDraft['visualization'] })
              }
            >
              {VISUALIZATIONS.map((v) => (
                <option key={v} value={v}>
                  {VIS_LABEL[v]}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm">
            Bucket
            <select
              className={FIELD}
              value={draft.bucket}
              onChange={(e) => set({ bucket: e.target.value as PanelDraft['bucket'] })}
            >
              {BUCKETS.map((b) => (
                <option key={b} value={b}>
                  {b === 'auto' ? 'Auto (from the range)' : b === 'raw' ? 'Every point' : b}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm">
            Aggregate
            <select
              className={FIELD}
              value={draft.aggregate}
              onChange={(e) => set({ aggregate: e.target.value as PanelDraft['aggregate'] })}
            >
              {AGGREGATES.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm">
            Width
            <select
              className={FIELD}
              value={draft.width}
              onChange={(e) => set({ width: Number(e.target.value) })}
            >
              {WIDTHS.map((w) => (
                <option key={w} value={w}>
                  {w === 12 ? 'Full' : `${w} / 12`}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-300">
            {error}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <button type="button" className={BUTTON} onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={PRIMARY} disabled={saving}>
            {saving ? 'Saving…' : 'Save panel'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
