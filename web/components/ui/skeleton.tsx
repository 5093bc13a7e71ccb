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

/** The placeholder of a page segment while its server data loads. */
export function PageSkeleton({ label }: { label: string }) {
  return (
    <div className="space-y-4">
      <LoadingNote label={label} />
      <Skeleton className="h-4 w-32" />
      <Skeleton className="h-7 w-64" />
      <Skeleton className="h-24 w-full" />
      <div className="grid gap-3 lg:grid-cols-2">
        <Skeleton className="h-56 w-full" />
        <Skeleton className="h-56 w-full" />
      </div>
    </div>
  );
}
