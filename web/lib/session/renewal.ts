/**
 * When the browser asks for a fresh token: well before the old one expires (the GraphQL server
 * closes a socket at `exp`), so the new socket is up and every subscription handed over before
 * the old socket goes. Pure, so the timing is tested without clocks.
 */

/** Fraction of a token's lifetime after which it is renewed. */
export const RENEW_AT_FRACTION = 0.7;
/** Never plan a renewal closer than this to expiry (ms): a handover needs time. */
export const MIN_MARGIN_MS = 5_000;
/** Never renew sooner than this after now (ms): a clock skew must not spin the renewal loop. */
export const MIN_DELAY_MS = 1_000;

/**
 * Milliseconds from `nowMs` until the token issued at `issuedAtMs` and expiring at `expiresAtMs`
 * should be renewed.
 */
export function renewalDelay(issuedAtMs: number, expiresAtMs: number, nowMs: number): number {
  const lifetime = Math.max(0, expiresAtMs - issuedAtMs);
  const byFraction = issuedAtMs + lifetime * RENEW_AT_FRACTION;
  const latest = expiresAtMs - Math.min(MIN_MARGIN_MS, lifetime / 2);
  const at = Math.min(byFraction, latest);
  return Math.max(MIN_DELAY_MS, at - nowMs);
}

/** True when a token is too close to expiry to open a new connection with. */
export function isStale(expiresAtMs: number, nowMs: number, marginMs = MIN_MARGIN_MS): boolean {
  return expiresAtMs - nowMs < marginMs;
}

/** Backoff (ms) before retry number `attempt` (0-based) of a failed renewal or connection. */
export function retryDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base / 2 + random() * (base / 2));
}
