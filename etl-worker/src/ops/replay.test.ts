import { describe, expect, it } from 'vitest';
import { readReplayInput, ReplayInputError } from './replay.ts';

describe('Worker > replay input', () => {
  it("should read the action payload's input, with ids as digits whatever their JSON type", () => {
    expect(
      readReplayInput({
        action: { name: 'replay_dead_letters' },
        input: { pipeline: 'p', since: '2026-12-07T00:00:00Z', ids: [1, '22'] },
        session_variables: { 'x-hasura-role': 'admin' },
      }),
    ).toEqual({ pipeline: 'p', since: '2026-12-07T00:00:00Z', ids: ['1', '22'] });
    expect(readReplayInput({ input: { pipeline: 'p', since: null } })).toEqual({
      pipeline: 'p',
      since: null,
      ids: null,
    });
  });

  it('should refuse what is not a replay request, with a code the caller sees', () => {
    for (const body of [
      null,
      {},
      { input: { pipeline: '' } },
      { input: { pipeline: 'p', since: 'yesterday' } },
      { input: { pipeline: 'p', ids: ['1; DROP TABLE x'] } },
      { input: { pipeline: 'p', ids: 5 } },
    ]) {
      const e = (() => {
        try {
          readReplayInput(body);
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(e, JSON.stringify(body)).toBeInstanceOf(ReplayInputError);
      expect((e as ReplayInputError).code).toBe('invalid-input');
    }
  });
});
