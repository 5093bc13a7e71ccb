'use client';

import { ErrorNote } from '@/components/ui/error-note';

/** What a route segment's error.tsx shows: what failed, why, and a way to try again. */
export function SegmentError({
  title,
  error,
  reset,
}: {
  title: string;
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <div className="space-y-3">
      <ErrorNote
        title={title}
        message={error.message}
        hint="The GraphQL server may be restarting; the page retries when you ask."
      />
      <button
        type="button"
        onClick={reset}
        className="rounded bg-blue-700 px-3 py-1.5 text-sm text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
      >
        Try again
      </button>
    </div>
  );
}
