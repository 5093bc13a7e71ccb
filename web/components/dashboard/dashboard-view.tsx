'use client';

/**
 * A dashboard on screen: its panels on a 12-column grid, the time range and the entity selection
 * in the URL (so every view is a link), the alerts firing on its panels, and — for its owner — the
 * editing: add, edit, move and remove panels, declare alert rules, rename, share, delete. Anyone
 * with a user may save a copy. Writes are GraphQL mutations as the `user` role; the permissions in
 * hasura/metadata decide, the buttons only follow them.
 */
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { BUTTON, DANGER, FIELD, PRIMARY } from '@/components/ui/styles';
import { useFiringAlerts } from '@/hooks/use-firing-alerts';
import { useUserGraphQL } from '@/hooks/use-user-mutation';
import {
  CREATE_DASHBOARD,
  CREATE_PANEL,
  CREATE_PANELS,
  CREATE_RULE,
  DASHBOARD_QUERY,
  DELETE_DASHBOARD,
  DELETE_PANEL,
  DELETE_RULE,
  RULES_QUERY,
  UPDATE_DASHBOARD,
  UPDATE_PANEL,
  UPDATE_RULE,
} from '@/lib/dashboards/documents';
import {
  entityCap,
  panelInput,
  parseDashboard,
  type AlertRule,
  type Dashboard,
  type PanelSpec,
} from '@/lib/dashboards/model';
import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { EntityOption } from '@/lib/server/entity-option';
import { absoluteRange, parseRange, zoomOut, type TimeRange } from '@/lib/time/range';
import { AlertRulesDialog, type RuleDraft } from './alert-rules-dialog';
import { EntityPicker } from './entity-picker';
import { PanelCard } from './panel-card';
import { PanelEditor, type PanelDraft } from './panel-editor';
import { TimePicker } from './time-picker';

export interface DashboardViewProps {
  dashboard: Dashboard;
  /** panels that could not be read, with why */
  broken: Array<{ id: string; error: string }>;
  /** an unsaved view (a stream's explore page): "save as dashboard" instead of editing */
  ephemeral?: boolean;
  streams: DiscoveredStream[];
  entityOptions: Record<string, EntityOption[]>;
  /** the session's user owns it */
  canEdit: boolean;
  /** the session names a user (may save copies and new dashboards) */
  hasUser: boolean;
  canBuckets: boolean;
  canMinutes: boolean;
  alertsReadable: boolean;
  initialRules: AlertRule[];
}

const DEFAULT_PICK = 3;

function matches(
  attrs: Record<string, unknown> | undefined,
  match: Record<string, string>,
): boolean {
  return Object.entries(match).every(([k, v]) => attrs && String(attrs[k]) === v);
}

export function DashboardView(props: DashboardViewProps) {
  const router = useRouter();
  const params = useSearchParams();
  const { mutate, read } = useUserGraphQL();
  const [dashboard, setDashboard] = useState(props.dashboard);
  const [broken, setBroken] = useState(props.broken);
  const [rules, setRules] = useState(props.initialRules);
  const [editorFor, setEditorFor] = useState<PanelSpec | 'new' | null>(null);
  const [alertsFor, setAlertsFor] = useState<PanelSpec | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  const range = parseRange(
    { from: params.get('from'), to: params.get('to') },
    { from: dashboard.time_from, to: dashboard.time_to },
  );
  const editing = props.canEdit && params.get('edit') === '1';
  const urlEntities = useMemo(
    () => (params.get('entities') ?? '').split(',').filter((s) => /^[0-9]{1,18}$/.test(s)),
    [params],
  );

  /** Write the view into the URL without a server round trip (the panels follow the URL). */
  const setView = useCallback((patch: Record<string, string | null>) => {
    const q = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) q.delete(k);
      else q.set(k, v);
    }
    window.history.replaceState(null, '', `${window.location.pathname}?${q.toString()}`);
  }, []);
  const setRange = useCallback((r: TimeRange) => setView({ from: r.from, to: r.to }), [setView]);

  const streamOf = useCallback(
    (name: string) => props.streams.find((s) => s.name === name),
    [props.streams],
  );
  const optionsOf = useCallback(
    (name: string) => props.entityOptions[name] ?? [],
    [props.entityOptions],
  );
  const dashboardStreams = [
    ...new Set(
      dashboard.panels.filter((p) => p.entities.mode === 'dashboard').map((p) => p.stream),
    ),
  ].filter((s) => streamOf(s)?.entityField);

  const pickedFor = useCallback(
    (stream: string): string[] => {
      const options = optionsOf(stream);
      const known = new Set(options.map((o) => o.id));
      const picked = urlEntities.filter((e) => known.has(e) || options.length === 0);
      return picked.length ? picked : options.slice(0, DEFAULT_PICK).map((o) => o.id);
    },
    [optionsOf, urlEntities],
  );

  /** Every entity a panel's selection names, before the cap of its visualisation. */
  const selectedBy = (p: PanelSpec): string[] | null => {
    const s = streamOf(p.stream);
    if (!s?.entityField) return null;
    const e = p.entities;
    switch (e.mode) {
      case 'ids':
        return e.ids.map(String);
      case 'all':
        return optionsOf(p.stream).map((o) => o.id);
      case 'match':
        return optionsOf(p.stream)
          .filter((o) => matches(o.attributes, e.match))
          .map((o) => o.id);
      case 'dashboard':
        return pickedFor(p.stream);
    }
  };
  const entitiesOf = (p: PanelSpec): string[] | null =>
    selectedBy(p)?.slice(0, entityCap(p.visualization, p.metrics.length)) ?? null;

  const labels = useMemo(() => {
    const m = new Map<string, string>();
    for (const list of Object.values(props.entityOptions))
      for (const o of list) m.set(o.id, o.label);
    return m;
  }, [props.entityOptions]);
  const labelOf = useCallback(
    (e: string) => (e === '' ? 'all' : (labels.get(e) ?? `#${e}`)),
    [labels],
  );

  const ruleIds = useMemo(() => rules.map((r) => r.id), [rules]);
  const firing = useFiringAlerts(ruleIds, props.alertsReadable && !props.ephemeral);

  const run = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const reload = async () => {
    const res = await read<{ dashboard: Record<string, unknown> | null }>(DASHBOARD_QUERY, {
      id: dashboard.id,
    });
    if (!res.dashboard) throw new Error('The dashboard is gone (deleted elsewhere?)');
    const parsed = parseDashboard(res.dashboard);
    setDashboard(parsed.dashboard);
    setBroken(parsed.broken);
    const r = await read<{ rules: AlertRule[] }>(RULES_QUERY, {
      panels: parsed.dashboard.panels.map((p) => p.id),
    });
    setRules(r.rules);
  };

  const savePanel = async (draft: PanelDraft) => {
    if (editorFor === 'new') {
      const position = dashboard.panels.reduce((m, p) => Math.max(m, p.position + 1), 0);
      await mutate(CREATE_PANEL, {
        object: { ...panelInput({ ...draft, position }), dashboard_id: dashboard.id },
      });
    } else if (editorFor) {
      await mutate(UPDATE_PANEL, {
        id: editorFor.id,
        set: panelInput({ ...draft, position: editorFor.position }),
      });
    }
    await reload();
  };
  const move = (p: PanelSpec, delta: number) =>
    run(async () => {
      const list = dashboard.panels;
      const i = list.findIndex((x) => x.id === p.id);
      const j = i + delta;
      if (j < 0 || j >= list.length) return;
      const other = list[j]!;
      await mutate(UPDATE_PANEL, { id: p.id, set: { position: j } });
      await mutate(UPDATE_PANEL, { id: other.id, set: { position: i } });
      await reload();
    });
  const remove = (p: PanelSpec) =>
    run(async () => {
      if (!window.confirm(`Remove the panel “${p.title}” and its alert rules?`)) return;
      await mutate(DELETE_PANEL, { id: p.id });
      await reload();
    });

  const saveCopy = () =>
    run(async () => {
      const title = props.ephemeral ? dashboard.title : `${dashboard.title} (copy)`;
      const { dashboard: created } = await mutate<{ dashboard: { id: string } }>(CREATE_DASHBOARD, {
        object: {
          title,
          description: dashboard.description,
          shared: false,
          time_from: range.from.startsWith('now') ? range.from : 'now-1h',
          time_to: 'now',
        },
      });
      if (dashboard.panels.length) {
        await mutate(CREATE_PANELS, {
          objects: dashboard.panels.map((p) => ({ ...panelInput(p), dashboard_id: created.id })),
        });
      }
      router.push(`/d/${created.id}?${params.toString()}`);
    });
  // the box follows the click at once; the mutation confirms it, or the box goes back
  const setShared = (shared: boolean) => {
    setDashboard((d) => ({ ...d, shared }));
    return run(async () => {
      try {
        await mutate(UPDATE_DASHBOARD, { id: dashboard.id, set: { shared } });
      } catch (err) {
        setDashboard((d) => ({ ...d, shared: !shared }));
        throw err;
      }
    });
  };
  const rename = (title: string, description: string) =>
    run(async () => {
      await mutate(UPDATE_DASHBOARD, { id: dashboard.id, set: { title, description } });
      setDashboard((d) => ({ ...d, title, description }));
    });
  const saveRange = () =>
    run(async () => {
      await mutate(UPDATE_DASHBOARD, {
        id: dashboard.id,
        set: { time_from: range.from, time_to: range.to },
      });
      setDashboard((d) => ({ ...d, time_from: range.from, time_to: range.to }));
    });
  const destroy = () =>
    run(async () => {
      if (
        !window.confirm(
          `Delete the dashboard “${dashboard.title}”, its panels and their alert rules?`,
        )
      )
        return;
      await mutate(DELETE_DASHBOARD, { id: dashboard.id });
      router.push('/dashboards');
    });
  const share = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      setCopied(true);
      setTimeout(() => setCopied(false), 3000);
    } catch {
      window.prompt('Copy this link', window.location.href);
    }
  };

  const [title, setTitle] = useState(dashboard.title);
  const [description, setDescription] = useState(dashboard.description);

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0">
          <h1 className="text-xl font-semibold">{dashboard.title}</h1>
          {dashboard.description ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">{dashboard.description}</p>
          ) : null}
          <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="dashboard-access">
            {props.ephemeral
              ? 'Not saved: a view of the stream'
              : dashboard.owner_id === null
                ? 'Default dashboard · read-only for everybody'
                : props.canEdit
                  ? `Yours · ${dashboard.shared ? 'shared (others may read it)' : 'private'}`
                  : `Shared by ${dashboard.owner_id} · read-only`}
          </p>
        </div>
        <div className="ml-auto flex flex-wrap gap-2" role="group" aria-label="Dashboard actions">
          <button type="button" className={BUTTON} onClick={() => void share()} data-testid="share">
            {copied ? 'Link copied' : 'Copy link'}
          </button>
          {props.canEdit ? (
            <button
              type="button"
              className={BUTTON}
              aria-pressed={editing}
              onClick={() => setView({ edit: editing ? null : '1' })}
              data-testid="edit-toggle"
            >
              {editing ? 'Done editing' : 'Edit'}
            </button>
          ) : null}
          {!props.canEdit && props.hasUser ? (
            <button
              type="button"
              className={PRIMARY}
              onClick={() => void saveCopy()}
              data-testid="save-copy"
            >
              {props.ephemeral ? 'Save as dashboard' : 'Save a copy'}
            </button>
          ) : null}
        </div>
      </div>

      {editing ? (
        <form
          className="flex flex-wrap items-end gap-2 rounded border border-slate-200 p-2 dark:border-slate-700"
          onSubmit={(e) => {
            e.preventDefault();
            void rename(title.trim() || dashboard.title, description);
          }}
          aria-label="Dashboard settings"
        >
          <label className="flex flex-col text-xs">
            Title
            <input
              className={FIELD}
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              maxLength={200}
            />
          </label>
          <label className="flex min-w-60 flex-1 flex-col text-xs">
            Description
            <input
              className={FIELD}
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              maxLength={2000}
            />
          </label>
          <button type="submit" className={BUTTON}>
            Save title
          </button>
          <label className="flex items-center gap-1 text-sm">
            <input
              type="checkbox"
              className="h-4 w-4 accent-blue-700"
              checked={dashboard.shared}
              onChange={(e) => void setShared(e.target.checked)}
              data-testid="shared-toggle"
            />
            Shared (others may read it)
          </label>
          <button type="button" className={BUTTON} onClick={() => void saveRange()}>
            Open on this time range
          </button>
          <button
            type="button"
            className={PRIMARY}
            onClick={() => setEditorFor('new')}
            data-testid="add-panel"
          >
            Add panel
          </button>
          <button type="button" className={DANGER} onClick={() => void destroy()}>
            Delete dashboard
          </button>
        </form>
      ) : null}

      <div className="flex flex-wrap items-center gap-2">
        <TimePicker range={range} onChange={setRange} />
        {dashboardStreams.map((s) => (
          <EntityPicker
            key={s}
            label={dashboardStreams.length > 1 ? `${streamOf(s)!.title}` : 'Entities'}
            options={optionsOf(s)}
            selected={pickedFor(s)}
            onChange={(ids) => {
              const others = urlEntities.filter((e) => !optionsOf(s).some((o) => o.id === e));
              setView({ entities: [...others, ...ids].join(',') || null });
            }}
          />
        ))}
      </div>

      {error ? <ErrorNote title="That did not work" message={error} /> : null}
      {broken.length ? (
        <ErrorNote
          title={`${broken.length} panel(s) cannot be drawn`}
          message={broken.map((b) => b.error).join('; ')}
        />
      ) : null}
      {firing.alerts.length ? (
        <section
          aria-label="Firing alerts"
          className="rounded border border-red-400 bg-red-50 p-2 text-sm dark:border-red-800 dark:bg-red-950"
          data-testid="firing-alerts"
        >
          <p className="font-semibold text-red-900 dark:text-red-100">
            {firing.alerts.length} alert(s) firing
          </p>
          <ul>
            {firing.alerts.slice(0, 10).map((a) => (
              <li key={String(a.id)}>
                {a.rule_name} — {labelOf(String(a.entity_id))}: {a.metric} {a.fired_value} ({a.op}{' '}
                {a.threshold})
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {dashboard.panels.length === 0 ? (
        <div className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm dark:border-slate-700">
          <p>No panel yet.</p>
          {props.canEdit ? (
            <button
              type="button"
              className={`${PRIMARY} mt-2`}
              onClick={() => (editing ? setEditorFor('new') : setView({ edit: '1' }))}
            >
              {editing ? 'Add panel' : 'Edit to add panels'}
            </button>
          ) : null}
        </div>
      ) : (
        <div className="grid grid-cols-12 gap-3" data-testid="panels">
          {dashboard.panels.map((p) => {
            const panelRules = rules.filter((r) => r.panel_id === p.id);
            return (
              <PanelCard
                key={p.id}
                panel={p}
                stream={streamOf(p.stream)}
                entityIds={entitiesOf(p)}
                entitiesSelected={selectedBy(p)?.length ?? 0}
                labelOf={labelOf}
                range={range}
                canBuckets={props.canBuckets}
                canMinutes={props.canMinutes}
                rules={panelRules}
                firing={firing.alerts.filter((a) => panelRules.some((r) => r.id === a.rule_id))}
                editing={editing}
                onEdit={() => setEditorFor(p)}
                onRemove={() => void remove(p)}
                onMove={(d) => void move(p, d)}
                onAlerts={
                  props.ephemeral || !props.alertsReadable ? undefined : () => setAlertsFor(p)
                }
                onZoom={(a, b) => setRange(absoluteRange(a, b))}
                onZoomOut={() => setRange(zoomOut(range, Date.now()))}
              />
            );
          })}
        </div>
      )}

      {props.canEdit ? (
        <PanelEditor
          open={editorFor !== null}
          initial={
            editorFor && editorFor !== 'new'
              ? editorFor
              : {
                  position: 0,
                  title: '',
                  stream: props.streams[0]?.name ?? '',
                  metrics: props.streams[0] ? [props.streams[0].metrics[0]!.name] : [],
                  entities: { mode: 'dashboard' },
                  bucket: 'auto',
                  aggregate: 'avg',
                  visualization: 'line',
                  width: 6,
                }
          }
          streams={props.streams}
          entityOptions={optionsOf}
          onSave={savePanel}
          onClose={() => setEditorFor(null)}
        />
      ) : null}
      <AlertRulesDialog
        panel={alertsFor}
        rules={alertsFor ? rules.filter((r) => r.panel_id === alertsFor.id) : []}
        entityIds={alertsFor ? entitiesOf(alertsFor) : null}
        canEdit={props.canEdit}
        onCreate={async (d: RuleDraft) => {
          const { rule } = await mutate<{ rule: AlertRule }>(CREATE_RULE, {
            object: {
              panel_id: alertsFor!.id,
              name: d.name,
              stream: alertsFor!.stream,
              metric: d.metric,
              op: d.op,
              threshold: d.threshold,
              for_seconds: d.for_seconds,
              entity_ids: d.entity_ids,
            },
          });
          setRules((r) => [...r, rule]);
        }}
        onToggle={async (rule) => {
          const { rule: updated } = await mutate<{ rule: AlertRule }>(UPDATE_RULE, {
            id: rule.id,
            set: { enabled: !rule.enabled },
          });
          setRules((r) => r.map((x) => (x.id === rule.id ? updated : x)));
        }}
        onDelete={async (rule) => {
          await mutate(DELETE_RULE, { id: rule.id });
          setRules((r) => r.filter((x) => x.id !== rule.id));
        }}
        onClose={() => setAlertsFor(null)}
      />
      {props.ephemeral ? null : (
        <p className="text-xs text-slate-600 dark:text-slate-400">
          <Link href="/dashboards" prefetch={false} className="underline">
            All dashboards
          </Link>
        </p>
      )}
    </div>
  );
}
