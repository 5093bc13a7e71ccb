/** A segment's error, with what the user can do about it. */
export function ErrorNote({
  title,
  message,
  hint,
}: {
  title: string;
  message?: string;
  hint?: string;
}) {
  return (
    <div
      role="alert"
      className="rounded border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
    >
      <p className="font-medium">{title}</p>
      {message ? <p className="mt-1 break-words font-mono text-xs">{message}</p> : null}
      {hint ? <p className="mt-1">{hint}</p> : null}
    </div>
  );
}
