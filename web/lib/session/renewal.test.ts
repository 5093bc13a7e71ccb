import { describe, expect, it } from 'vitest';
import { isStale, renewalDelay, retryDelay } from './renewal';

describe('Web > Session > renewal', () => {
  it('should renew a 15-minute token at 70% of its life', () => {
    const issued = 1_000_000;
    const expires = issued + 900_000;
    expect(renewalDelay(issued, expires, issued)).toBe(630_000);
  });

  it('should count from now when time has passed', () => {
    const issued = 0;
    expect(renewalDelay(issued, 900_000, 600_000)).toBe(30_000);
  });

  it('should keep a margin before expiry for short tokens', () => {
    // 10 s token: 70% = 7 s, but the margin of 5 s before expiry moves it to 5 s
    expect(renewalDelay(0, 10_000, 0)).toBe(5_000);
  });

  it('should never plan a renewal in the past', () => {
    expect(renewalDelay(0, 900_000, 899_000)).toBe(1_000);
    expect(renewalDelay(0, 900_000, 2_000_000)).toBe(1_000);
  });

  it('should call a token stale within the margin', () => {
    expect(isStale(10_000, 6_000)).toBe(true);
    expect(isStale(10_000, 4_000)).toBe(false);
  });

  it('should back off exponentially up to 10 s', () => {
    expect(retryDelay(0, () => 1)).toBe(500);
    expect(retryDelay(0, () => 0)).toBe(250);
    expect(retryDelay(3, () => 1)).toBe(4_000);
    expect(retryDelay(20, () => 1)).toBe(10_000);
  });
});
