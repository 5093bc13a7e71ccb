'use client';

/**
 * The clock for relative times ("12 s ago"): null while the server renders and during hydration,
 * so the server's and the browser's first render agree; then the time, every `everyMs`.
 */
import { useEffect, useState } from 'react';

export function useNow(everyMs = 1000): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    const tick = () => setNow(Date.now());
    const first = setTimeout(tick, 0);
    const t = setInterval(tick, everyMs);
    return () => {
      clearTimeout(first);
      clearInterval(t);
    };
  }, [everyMs]);
  return now;
}
