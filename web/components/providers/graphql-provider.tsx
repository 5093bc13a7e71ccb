'use client';

/**
 * Builds the live connection and the urql client once per page load and provides them. Nothing
 * about the server is known at build time: the session route tells the endpoints and the token.
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { Provider } from 'urql';
import { LiveConnection } from '@/lib/live/live-connection';
import { createUrqlClient } from '@/lib/live/urql-client';
import type { SessionInfo } from '@/lib/session/types';

async function fetchSession(): Promise<SessionInfo> {
  const res = await fetch('/api/session', { cache: 'no-store' });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? `session: HTTP ${res.status}`);
  }
  return (await res.json()) as SessionInfo;
}

// Asked for as soon as this module loads in the browser, while the page hydrates: every first
// query and the socket wait for the token, and hydration need not wait for it.
let early: Promise<SessionInfo | undefined> | undefined =
  typeof window === 'undefined' ? undefined : fetchSession().catch(() => undefined);

/** The early session once (if it came), then a fresh one each time. */
async function firstSession(): Promise<SessionInfo> {
  const pending = early;
  early = undefined;
  return (pending && (await pending)) || fetchSession();
}

const LiveContext = createContext<LiveConnection | null>(null);

export function useLiveConnection(): LiveConnection {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLiveConnection outside GraphQLProvider');
  return live;
}

export function GraphQLProvider({ children }: { children: ReactNode }) {
  const [live] = useState(
    () =>
      new LiveConnection({
        fetchSession: firstSession,
        log: (msg, extra) => console.warn(`[live] ${msg}`, extra ?? ''),
      }),
  );
  const [client] = useState(() => createUrqlClient(live));
  useEffect(() => {
    // expose the connection to the browser tests (state only; the token stays inside)
    (window as unknown as { __streamsyncLive?: unknown }).__streamsyncLive = {
      state: () => live.getState(),
      renew: () => live.renew(),
    };
  }, [live]);
  return (
    <LiveContext.Provider value={live}>
      <Provider value={client}>{children}</Provider>
    </LiveContext.Provider>
  );
}
