/** Placeholder blocks shown while a segment loads (announced once, not per block). */
export function Skeleton({ className = '' }: { className?: string }) {
  return (
    <div
      aria-hidden="true"
      className={`animate-pulse rounded bg-slate-200 dark:bg-slate-800 ${className}`}
    />
  );
}

export function LoadingNote({ label }: { label: string }) {
  return (
    <p role="status" className="sr-only">
      Loading {label}…
    </p>
  );
}
