import Link from 'next/link';
import { ConnectionStatus } from './connection-status';
import { NavLinks } from './nav-links';
import { ThemeToggle } from './theme-toggle';

export function AppHeader() {
  return (
    <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-3 py-2 sm:px-6">
        {/* not prefetched, as the nav links are not (nav-links.tsx) */}
        <Link
          href="/"
          prefetch={false}
          className="rounded text-lg font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-blue-600"
        >
          StreamSync
        </Link>
        <NavLinks />
        <div className="ml-auto flex items-center gap-2">
          <ConnectionStatus />
          <ThemeToggle />
        </div>
      </div>
    </header>
  );
}
