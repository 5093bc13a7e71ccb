import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { HASURA_CLAIMS_NAMESPACE, issueToken } from './token';

const KEY = 'k'.repeat(40);

describe('Web > Session > token', () => {
  it('should sign a Hasura JWT for the role that the key verifies', async () => {
    const { token, issuedAt, expiresAt } = await issueToken({
      key: KEY,
      role: 'viewer',
      ttlSeconds: 60,
      now: Math.floor(Date.now() / 1000),
    });
    expect(expiresAt - issuedAt).toBe(60);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(KEY));
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.exp).toBe(expiresAt);
    expect(payload[HASURA_CLAIMS_NAMESPACE]).toEqual({
      'x-hasura-allowed-roles': ['viewer'],
      'x-hasura-default-role': 'viewer',
    });
  });

  it('should carry the user id for the user role', async () => {
    const { token } = await issueToken({ key: KEY, role: 'user', userId: '3', ttlSeconds: 60 });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(KEY));
    expect(payload.sub).toBe('3');
    expect((payload[HASURA_CLAIMS_NAMESPACE] as Record<string, unknown>)['x-hasura-user-id']).toBe(
      '3',
    );
  });

  it('should let a token that names a user act as the user role too, reading as its own role', async () => {
    const { token } = await issueToken({ key: KEY, role: 'viewer', userId: '7', ttlSeconds: 60 });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(KEY));
    expect(payload[HASURA_CLAIMS_NAMESPACE]).toEqual({
      'x-hasura-allowed-roles': ['viewer', 'user'],
      'x-hasura-default-role': 'viewer',
      'x-hasura-user-id': '7',
    });
  });

  it('should not verify with another key', async () => {
    const { token } = await issueToken({ key: KEY, role: 'viewer', ttlSeconds: 60 });
    await expect(jwtVerify(token, new TextEncoder().encode('x'.repeat(40)))).rejects.toThrow();
  });
});
