/** A tiny line of recent values (SVG, no axes); described for screen readers by its caller. */
export function Sparkline({
  values,
  label,
  className = '',
}: {
  values: readonly number[];
  label: string;
  className?: string;
}) {
  const w = 120;
  const h = 32;
  if (values.length < 2) {
    return (
      <svg
        role="img"
        aria-label={`${label}: not enough data yet`}
        viewBox={`0 0 ${w} ${h}`}
        className={className}
      >
        <line
          x1="0"
          y1={h - 1}
          x2={w}
          y2={h - 1}
          stroke="currentColor"
          strokeOpacity="0.3"
          strokeDasharray="3 3"
        />
      </svg>
    );
  }
  const max = Math.max(...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const points = values
    .map(
      (v, i) =>
        `${((i / (values.length - 1)) * w).toFixed(1)},${(h - 1 - ((v - min) / span) * (h - 2)).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg
      role="img"
      aria-label={label}
      viewBox={`0 0 ${w} ${h}`}
      preserveAspectRatio="none"
      className={className}
    >
      <polyline
        points={points}
        fill="none"
        stroke="var(--chart-1)"
        strokeWidth="1.5"
        vectorEffect="non-scaling-stroke"
      />
    </svg>
  );
}
