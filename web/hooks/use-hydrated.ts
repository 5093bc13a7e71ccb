'use client';

/**
 * False in the server's HTML and during hydration, true once React owns the page. A control whose
 * handler is JavaScript is disabled until then: a click before hydration would otherwise submit
 * the form natively (a reload that drops what was typed) instead of running its handler.
 */
import { useSyncExternalStore } from 'react';

const noChanges = () => () => {};

export function useHydrated(): boolean {
  return useSyncExternalStore(
    noChanges,
    () => true,
    () => false,
  );
}
