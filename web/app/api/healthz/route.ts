/**
 * GET /api/healthz: the web app is up and its settings are usable (the stack waits on this). It
 * does not depend on the GraphQL server, which has its own health check.
 */
import { NextResponse } from 'next/server';
import { config } from '@/lib/config';

export const dynamic = 'force-dynamic';

export function GET(): NextResponse {
  try {
    config();
    return NextResponse.json({ status: 'ok' }, { headers: { 'Cache-Control': 'no-store' } });
  } catch (err) {
    return NextResponse.json({ status: 'error', error: (err as Error).message }, { status: 503 });
  }
}
