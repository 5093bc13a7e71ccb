/**
 * Role tokens as the web app signs them (HS256, Hasura's claims, iss streamsync-web), with a
 * lifetime of the caller's choosing: a fuzz campaign can outlast the dashboard's one-hour token.
 */
import { createHmac } from 'node:crypto';

export function expiringToken(key: string, role: string, seconds: number, userId?: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    'x-hasura-allowed-roles': [role],
    'x-hasura-default-role': role,
  };
  if (userId) claims['x-hasura-user-id'] = userId;
  const payload = {
    'https://hasura.io/jwt/claims': claims,
    iat,
    exp: iat + seconds,
    iss: 'streamsync-web',
  };
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** A day: longer than any campaign. */
export const CAMPAIGN_TOKEN_SECONDS = 24 * 3600;
