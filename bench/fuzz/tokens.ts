/** A role token (as bench/query/cases.ts signs them) that expires `seconds` from now. */
import { createHmac } from 'node:crypto';

export function expiringToken(key: string, role: string, seconds: number): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const payload = {
    'https://hasura.io/jwt/claims': {
      'x-hasura-allowed-roles': [role],
      'x-hasura-default-role': role,
    },
    iat,
    exp: iat + seconds,
    iss: 'streamsync-web',
  };
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}
