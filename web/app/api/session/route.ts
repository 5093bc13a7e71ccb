/**
 * GET /api/session: a short-lived role token and the endpoints the browser should use. Runtime
 * configuration, so one build serves any deployment. Never cached.
 */
import { NextResponse } from 'next/server';
import { config, ConfigError } from '@/lib/config';
import { currentUserId } from '@/lib/server/identity';
import { issueToken } from '@/lib/session/token';
import type { SessionInfo } from '@/lib/session/types';

export const dynamic = 'force-dynamic';

export async function GET(): Promise<NextResponse> {
  try {
    const cfg = config();
    const userId = await currentUserId();
    const { token, issuedAt, expiresAt } = await issueToken({
      key: cfg.jwtKey,
      role: cfg.role,
      userId,
      ttlSeconds: cfg.tokenTtlSeconds,
      claimsNamespace: cfg.claimsNamespace,
    });
    const body: SessionInfo = {
      token,
      role: cfg.role,
      userId: userId ?? null,
      issuedAt: issuedAt * 1000,
      expiresAt: expiresAt * 1000,
      graphqlUrl: cfg.publicGraphqlUrl,
      graphqlWsUrl: cfg.publicGraphqlWsUrl,
    };
    return NextResponse.json(body, { headers: { 'Cache-Control': 'no-store' } });
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : 'could not issue a session';
    console.error(
      JSON.stringify({ level: 'error', msg: 'session', error: (err as Error).message }),
    );
    return NextResponse.json(
      { error: message },
      { status: 500, headers: { 'Cache-Control': 'no-store' } },
    );
  }
}
