/**
 * Who the current request acts for: the user an auth proxy names in STREAMSYNC_WEB_USER_HEADER
 * (when configured: only behind a proxy that sets it on every request), else the configured
 * STREAMSYNC_WEB_USER_ID, else nobody (dashboards are then read-only).
 */
import 'server-only';
import { headers } from 'next/headers';
import { config, USER_ID } from '@/lib/config';

export async function currentUserId(): Promise<string | undefined> {
  const cfg = config();
  if (cfg.userHeader) {
    const value = (await headers()).get(cfg.userHeader)?.trim();
    return value && USER_ID.test(value) ? value : undefined;
  }
  return cfg.userId;
}
