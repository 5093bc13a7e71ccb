'use client';

/** Create an empty dashboard (as the user) and open it in edit mode. */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { FIELD, PRIMARY } from '@/components/ui/styles';
import { useHydrated } from '@/hooks/use-hydrated';
import { useUserGraphQL } from '@/hooks/use-user-mutation';
import { CREATE_DASHBOARD } from '@/lib/dashboards/documents';

export function NewDashboardForm() {
  const router = useRouter();
  const { mutate } = useUserGraphQL();
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        mutate<{ dashboard: { id: string } }>(CREATE_DASHBOARD, {
          object: { title: title.trim() || 'New dashboard' },
        })
          .then((r) => router.push(`/d/${r.dashboard.id}?edit=1`))
          .catch((err: Error) => setError(err.message))
          .finally(() => setBusy(false));
      }}
    >
      <label className="flex flex-col text-xs">
        New dashboard
        <input
          className={FIELD}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          maxLength={200}
          placeholder="Title"
          disabled={!hydrated}
          data-testid="new-dashboard-title"
        />
      </label>
      <button type="submit" className={PRIMARY} disabled={!hydrated || busy}>
        Create
      </button>
      {error ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {error}
        </p>
      ) : null}
    </form>
  );
}
