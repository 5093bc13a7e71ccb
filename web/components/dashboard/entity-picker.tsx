'use client';

/** The dashboard's entity selection (the panels that follow the dashboard draw these), in its URL. */
import { useId, useState } from 'react';
import type { EntityOption } from '@/lib/server/entity-option';
import { BUTTON, FIELD } from '@/components/ui/styles';

export function EntityPicker({
  options,
  selected,
  onChange,
  label = 'Entities',
}: {
  options: readonly EntityOption[];
  selected: readonly string[];
  onChange: (ids: string[]) => void;
  label?: string;
}) {
  const [filter, setFilter] = useState('');
  const id = useId();
  const shown = options
    .filter((o) => o.label.toLowerCase().includes(filter.toLowerCase()))
    .slice(0, 200);
  const toggle = (value: string, on: boolean) => {
    const next = on ? [...selected, value] : selected.filter((s) => s !== value);
    onChange(options.map((o) => o.id).filter((o) => next.includes(o)));
  };
  const names = selected.map((s) => options.find((o) => o.id === s)?.label ?? `#${s}`);
  return (
    <details className="relative" data-testid="entity-picker">
      <summary className={`${BUTTON} cursor-pointer list-none`} title={names.join(', ')}>
        {label}:{' '}
        {names.length === 0
          ? 'none'
          : names.length <= 2
            ? names.join(', ')
            : `${names.length} selected`}{' '}
        ▾
      </summary>
      <div className="absolute z-20 mt-1 w-72 rounded border border-slate-300 bg-white p-2 shadow-lg dark:border-slate-600 dark:bg-slate-900">
        <label htmlFor={`${id}-filter`} className="text-xs">
          Filter
        </label>
        <input
          id={`${id}-filter`}
          className={`${FIELD} mb-2 w-full`}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        <fieldset className="max-h-64 overflow-auto">
          <legend className="sr-only">{label}</legend>
          {shown.map((o) => (
            <label key={o.id} className="flex items-center gap-2 py-0.5 text-sm">
              <input
                type="checkbox"
                className="h-4 w-4 accent-blue-700"
                checked={selected.includes(o.id)}
                onChange={(e) => toggle(o.id, e.target.checked)}
              />
              {o.label}
            </label>
          ))}
          {shown.length === 0 ? <p className="text-sm">No match.</p> : null}
        </fieldset>
      </div>
    </details>
  );
}
