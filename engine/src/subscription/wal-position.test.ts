import { describe, expect, it } from 'vitest';
import { parseLsn, replayTarget } from './poller.ts';

describe('Engine > Subscriptions > WAL positions', () => {
  it('should read a pg_lsn as a number', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
  });

  it('should take an insert position just past a page header back to the page start', () => {
    // a replay ends at the page boundary, never inside its 24-byte header
    expect(replayTarget('0/3002018')).toBe(0x3002000n);
    expect(replayTarget('0/3002020')).toBe(0x3002020n);
  });
});
