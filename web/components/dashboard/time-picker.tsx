'use client';

/**
 * The dashboard's time controls, like Grafana's: presets, an absolute range (UTC), zoom out, pan
 * back and forth, and "follow now". Every change is a new URL (the caller writes it).
 */
import { useState } from 'react';
import {
  describeRange,
  followNow,
  isFollowing,
  pan,
  PRESETS,
  resolveRange,
  zoomOut,
  absoluteRange,
  type TimeRange,
} from '@/lib/time/range';
import { BUTTON, FIELD } from '@/components/ui/styles';

function toInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export function TimePicker({
  range,
  onChange,
}: {
  range: TimeRange;
  onChange: (r: TimeRange) => void;
}) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | null>(null);
  const following = isFollowing(range);
  const openAbsolute = () => {
    const r = resolveRange(range, Date.now());
    setFrom(toInput(r.fromMs));
    setTo(toInput(r.toMs));
    setError(null);
    setOpen((o) => !o);
  };
  const apply = (e: React.FormEvent) => {
    e.preventDefault();
    const a = Date.parse(`${from}:00Z`);
    const b = Date.parse(`${to}:00Z`);
    if (Number.isNaN(a) || Number.isNaN(b) || b <= a) {
      setError('The end must come after the start.');
      return;
    }
    onChange(absoluteRange(a, b));
    setOpen(false);
  };
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Time range">
      <label className="sr-only" htmlFor="time-preset">
        Quick range
      </label>
      <select
        id="time-preset"
        className={FIELD}
        value={following && PRESETS.some((p) => p.from === range.from) ? range.from : ''}
        onChange={(e) => e.target.value && onChange({ from: e.target.value, to: 'now' })}
        data-testid="time-preset"
      >
        <option value="">{describeRange(range)}</option>
        {PRESETS.map((p) => (
          <option key={p.from} value={p.from}>
            {p.label}
          </option>
        ))}
      </select>
      <button
        type="button"
        className={BUTTON}
        onClick={() => onChange(pan(range, Date.now(), -0.5))}
        aria-label="Earlier: move back half the range"
      >
        ◀
      </button>
      <button
        type="button"
        className={BUTTON}
        onClick={() => onChange(pan(range, Date.now(), 0.5))}
        aria-label="Later: move forward half the range"
        disabled={following}
      >
        ▶
      </button>
      <button
        type="button"
        className={BUTTON}
        onClick={() => onChange(zoomOut(range, Date.now()))}
        aria-label="Zoom out: twice the range"
      >
        Zoom out
      </button>
      <button
        type="button"
        className={`${BUTTON} ${following ? 'bg-emerald-50 dark:bg-emerald-950' : ''}`}
        aria-pressed={following}
        onClick={() => !following && onChange(followNow(range, Date.now()))}
        data-testid="follow-now"
      >
        {following ? '● Following now' : 'Follow now'}
      </button>
      <button
        type="button"
        className={BUTTON}
        aria-expanded={open}
        aria-controls="absolute-range"
        onClick={openAbsolute}
      >
        Absolute…
      </button>
      {open ? (
        <form
          id="absolute-range"
          onSubmit={apply}
          className="flex w-full flex-wrap items-end gap-2 rounded border border-slate-200 p-2 dark:border-slate-700"
        >
          <label className="flex flex-col text-xs">
            From (UTC)
            <input
              type="datetime-local"
              className={FIELD}
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              required
            />
          </label>
          <label className="flex flex-col text-xs">
            To (UTC)
            <input
              type="datetime-local"
              className={FIELD}
              value={to}
              onChange={(e) => setTo(e.target.value)}
              required
            />
          </label>
          <button type="submit" className={BUTTON}>
            Apply range
          </button>
          {error ? (
            <p role="alert" className="text-sm text-red-700 dark:text-red-300">
              {error}
            </p>
          ) : null}
        </form>
      ) : null}
    </div>
  );
}
