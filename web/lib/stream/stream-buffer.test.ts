import { describe, expect, it } from 'vitest';
import { parseTime, rowKey, StreamBuffer } from './stream-buffer';

const row = (iso: string, entity = 1, value = 1) => ({
  ts: iso,
  entity_id: entity,
  temperature: value,
});

describe('Web > Stream > buffer', () => {
  it('should parse Hasura and Postgres timestamp forms', () => {
    expect(parseTime('2024-05-01T12:00:00.123+00:00')).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(parseTime('2024-05-01T12:00:00.123456+00:00')).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(parseTime('2024-05-01 12:00:00.5+02')).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 500));
    expect(parseTime(null)).toBeNaN();
  });

  it('should give the same key whatever the field order', () => {
    expect(rowKey({ a: 1, b: 'x' })).toBe(rowKey({ b: 'x', a: 1 }));
    expect(rowKey({ a: 1, b: 'x' })).not.toBe(rowKey({ a: 2, b: 'x' }));
    // a bigint or numeric sent as a string by one transport and as a number by another
    expect(rowKey({ id: '1', v: '21.50' })).toBe(rowKey({ id: 1, v: 21.5 }));
    expect(rowKey({ ts: '2024-01-01T00:00:00Z' })).not.toBe(rowKey({ ts: 1704067200000 }));
  });

  it('should pass new rows through in time order', () => {
    const b = new StreamBuffer({ timeField: 'ts' });
    const out = b.accept([row('2024-01-01T00:00:02Z'), row('2024-01-01T00:00:01Z')]);
    expect(out.map((r) => r.ts)).toEqual(['2024-01-01T00:00:01Z', '2024-01-01T00:00:02Z']);
    expect(b.newestTime).toBe(Date.UTC(2024, 0, 1, 0, 0, 2));
  });

  it('should drop the rows a resumed subscription sends again', () => {
    const b = new StreamBuffer({ timeField: 'ts', overlapMs: 2000 });
    b.accept([
      row('2024-01-01T00:00:00Z'),
      row('2024-01-01T00:00:01Z'),
      row('2024-01-01T00:00:02Z'),
    ]);
    const resumedFrom = b.resumeCursor('2023-12-31T00:00:00Z');
    expect(resumedFrom).toBe('2024-01-01T00:00:00.000Z');
    // the server sends every row after the resume cursor: two seen, one new, one late but new
    const again = b.accept([
      row('2024-01-01T00:00:01Z'),
      row('2024-01-01T00:00:02Z'),
      row('2024-01-01T00:00:02Z', 2),
      row('2024-01-01T00:00:03Z'),
    ]);
    expect(again.map((r) => `${r.ts}/${r.entity_id}`)).toEqual([
      '2024-01-01T00:00:02Z/2',
      '2024-01-01T00:00:03Z/1',
    ]);
    expect(b.duplicates).toBe(2);
    expect(b.accepted).toBe(5);
  });

  it('should keep rows that share a timestamp but differ', () => {
    const b = new StreamBuffer({ timeField: 'ts' });
    const out = b.accept([row('2024-01-01T00:00:00Z', 1, 1), row('2024-01-01T00:00:00Z', 1, 2)]);
    expect(out).toHaveLength(2);
  });

  it('should start from the initial cursor until a row arrives, and never before it', () => {
    const b = new StreamBuffer({ timeField: 'ts', overlapMs: 5000 });
    expect(b.resumeCursor('2024-01-01T00:00:00Z')).toBe('2024-01-01T00:00:00Z');
    b.accept([row('2024-01-01T00:00:01Z')]);
    expect(b.resumeCursor('2024-01-01T00:00:00Z')).toBe('2024-01-01T00:00:00.000Z');
  });

  it('should stay small over a long stream', () => {
    const b = new StreamBuffer({ timeField: 'ts', overlapMs: 1000 });
    for (let i = 0; i < 20_000; i++)
      b.accept([row(new Date(Date.UTC(2024, 0, 1) + i * 100).toISOString())]);
    expect(b.accepted).toBe(20_000);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect((b as any).seen.size).toBeLessThan(4200);
  });
});
