'use client';

import type { DiscoveredStream } from '@/lib/graphql/schema-discovery';
import type { EntityOption } from '@/lib/server/streams';
import type { Selection } from '@/lib/stream/selection';
import { WINDOWS } from '@/lib/stream/windows';

const FIELD =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm focus-visible:outline-2 focus-visible:outline-blue-600 dark:border-slate-600 dark:bg-slate-800';

export function SeriesPicker({
  stream,
  entities,
  selection,
  onChange,
  disabled,
}: {
  stream: DiscoveredStream;
  entities: EntityOption[];
  selection: Selection;
  onChange: (s: Selection) => void;
  disabled?: boolean;
}) {
  const toggleMetric = (name: string, on: boolean) => {
    const metrics = on
      ? stream.metrics.map((m) => m.name).filter((m) => m === name || selection.metrics.includes(m))
      : selection.metrics.filter((m) => m !== name);
    if (metrics.length) onChange({ ...selection, metrics });
  };
  return (
    <div className="flex flex-wrap items-start gap-x-6 gap-y-3">
      {stream.entityField ? (
        <div className="flex flex-col gap-1">
          <label htmlFor="entity" className="text-sm font-medium">
            Entity
          </label>
          <select
            id="entity"
            className={`${FIELD} max-w-72`}
            value={selection.entity ?? ''}
            disabled={disabled || entities.length === 0}
            onChange={(e) => onChange({ ...selection, entity: e.target.value })}
          >
            {entities.length === 0 ? <option value="">No entities yet</option> : null}
            {entities.map((e) => (
              <option key={e.id} value={e.id}>
                {e.label}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <fieldset className="flex flex-col gap-1">
        <legend className="mb-1 text-sm font-medium">Metrics</legend>
        <div className="flex flex-wrap gap-x-3 gap-y-1">
          {stream.metrics.map((m) => (
            <label key={m.name} className="flex items-center gap-1 text-sm">
              <input
                type="checkbox"
                className="h-4 w-4 accent-blue-700"
                checked={selection.metrics.includes(m.name)}
                disabled={disabled}
                onChange={(e) => toggleMetric(m.name, e.target.checked)}
              />
              {m.name}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset className="flex flex-col gap-1">
        <legend className="mb-1 text-sm font-medium">Window</legend>
        <div className="flex overflow-hidden rounded border border-slate-300 dark:border-slate-600">
          {WINDOWS.map((w) => (
            <label
              key={w.key}
              className="cursor-pointer px-3 py-1 text-sm has-[:checked]:bg-blue-700 has-[:checked]:text-white has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-blue-600"
            >
              <input
                type="radio"
                name="window"
                value={w.key}
                className="sr-only"
                checked={selection.window === w.key}
                disabled={disabled}
                onChange={() => onChange({ ...selection, window: w.key })}
              />
              {w.label}
            </label>
          ))}
        </div>
      </fieldset>
    </div>
  );
}
