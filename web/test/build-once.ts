/**
 * vitest global setup of the `web-e2e` project: one production build of the web app per test run
 * (the stack then serves it with `next start`), skipped when the last build is still fresh.
 */
import { buildIsFresh, buildWeb } from '@streamsync/stack/web-build';

export default async function setup(): Promise<void> {
  if (buildIsFresh()) return;
  const ms = await buildWeb((l) => process.stderr.write(l));
  if (process.env.STREAMSYNC_TEST_VERBOSE)
    console.log(`[web] next build in ${(ms / 1000).toFixed(1)} s`);
}
