'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/', label: 'Overview', match: (p: string) => p === '/' || p.startsWith('/streams') },
  {
    href: '/dashboards',
    label: 'Dashboards',
    match: (p: string) => p.startsWith('/dashboards') || p.startsWith('/d/'),
  },
  { href: '/alerts', label: 'Alerts', match: (p: string) => p.startsWith('/alerts') },
  {
    href: '/pipelines',
    label: 'Pipeline health',
    match: (p: string) => p.startsWith('/pipelines'),
  },
];

/**
 * Not prefetched: every page is dynamic, so a prefetch fetches little more than the layout, and
 * on opening a dashboard the header's prefetches (each a server render) raced its panels' first
 * reads for the server.
 */
export function NavLinks() {
  const pathname = usePathname() ?? '/';
  return (
    <nav aria-label="Main">
      <ul className="flex gap-1">
        {LINKS.map((l) => {
          const active = l.match(pathname);
          return (
            <li key={l.href}>
              <Link
                href={l.href}
                prefetch={false}
                aria-current={active ? 'page' : undefined}
                className={`rounded px-2 py-1 text-sm focus-visible:outline-2 focus-visible:outline-blue-600 ${
                  active
                    ? 'bg-slate-200 font-medium text-slate-900 dark:bg-slate-700 dark:text-white'
                    : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'
                }`}
              >
                {l.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
