import { describe, expect, it } from 'vitest';
import { RESUME_OVERLAP_MS, StreamResume } from './stream-resume';

const T0 = Date.parse('2026-12-07T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('Web > Live > where a re-sent stream resumes', () => {
  it('should start from the first cursor until the stream delivered a row', () => {
    const r = new StreamResume(T0);
    expect(r.cursor()).toBe(iso(T0));
    r.received([]);
    expect(r.cursor()).toBe(iso(T0));
  });

  it('should resume from the newest row received less the overlap, not from the first cursor', () => {
    const r = new StreamResume(T0);
    r.received([T0 + 1_000, T0 + 5_000, T0 + 9_000]);
    expect(r.cursor()).toBe(iso(T0 + 9_000 - RESUME_OVERLAP_MS));
    r.received([T0 + 20_000]);
    expect(r.cursor()).toBe(iso(T0 + 20_000 - RESUME_OVERLAP_MS));
  });

  it('should not move back for a row that committed late behind the newest one', () => {
    const r = new StreamResume(T0, 500);
    r.received([T0 + 10_000]);
    r.received([T0 + 3_000]);
    expect(r.cursor()).toBe(iso(T0 + 9_500));
  });

  it('should never resume before the first cursor', () => {
    const r = new StreamResume(T0);
    r.received([T0 + 500]);
    expect(r.cursor()).toBe(iso(T0));
  });
});
