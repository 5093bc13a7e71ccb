/**
 * The session an operation runs in: the one type for every part (auth/ makes it from request
 * headers, explain from its `user` object; planning, permissions and SQL read it).
 */

/** The role that bypasses permissions (Hasura's `adminRoleName`). */
export const ADMIN_ROLE = 'admin';

export interface Session {
  /** The role the request runs as. */
  role: string;
  /** `role === ADMIN_ROLE`: no permission checks apply. */
  isAdmin: boolean;
  /** Session variables: lower-cased `x-hasura-*` names to their values, `x-hasura-role` included. */
  variables: Record<string, string>;
  /**
   * Backend-only insert/update/delete permissions may be used (Hasura's Backend scenario): the
   * request sent `x-hasura-use-backend-only-permissions: true` and is trusted (admin secret sent,
   * or no authentication configured).
   */
  backendOnlyPermissions: boolean;
  /** The request came to `/v1beta1/relay`: it sees the role's Relay schema (relay/). */
  relay?: boolean;
  /** When the JWT expires (its `exp`) or an auth hook's answer ends; undefined otherwise. */
  expiresAt?: Date;
  /** How the request was authenticated; undefined for a session the engine made (explain's `user`). */
  authenticatedBy?: 'no-auth' | 'admin-secret' | 'jwt' | 'unauthorized-role' | 'auth-hook';
}
