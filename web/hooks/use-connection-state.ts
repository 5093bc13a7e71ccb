'use client';

import { useSyncExternalStore } from 'react';
import { useLiveConnection } from '@/components/providers/graphql-provider';
import { INITIAL_CONNECTION_STATE, type ConnectionState } from '@/lib/live/connection-state';

/** The live connection's state (status, reconnect attempts, token expiry), re-rendering on change. */
export function useConnectionState(): ConnectionState {
  const live = useLiveConnection();
  return useSyncExternalStore(live.subscribeState, live.getState, () => INITIAL_CONNECTION_STATE);
}
