/**
 * The executor of a plan's steps (steps.ts): the order steps run in, the response assembled in
 * the document's root-field order, and a lone `postgres` step's bytes passed on unparsed.
 */
import { describe, expect, it } from 'vitest';
import type { Step, StepAnswer } from './planner.ts';
import { runSteps } from './steps.ts';

const step = (kind: string, keys: string[], answer: StepAnswer, ran?: string[]): Step => ({
  kind,
  keys,
  run: async () => {
    ran?.push(kind);
    return answer;
  },
});

describe('runSteps', () => {
  it('should answer a lone step of bytes with those bytes, unparsed', async () => {
    // spacing and number text JSON.stringify would change
    const body = '{"data":{"a" : 1.50}}';
    const r = await runSteps([step('postgres', [], { body })], []);
    expect(r.body).toBe(body);
    expect(r).toMatchObject({ isError: false, errorCodes: [] });
    expect(r.headers).toBeUndefined();
  });

  it('should assemble data in root-field order whatever the order of the steps', async () => {
    const ran: string[] = [];
    const r = await runSteps(
      [
        step('postgres', ['b', 'd'], { body: '{"data":{"b":[1],"d":null}}' }, ran),
        step('action', ['a', 'c'], { data: { a: 'x', c: { y: 2 } } }, ran),
      ],
      ['a', 'b', 'c', 'd'],
    );
    expect(ran).toEqual(['postgres', 'action']);
    expect(r.body).toBe('{"data":{"a":"x","b":[1],"c":{"y":2},"d":null}}');
  });

  it("should pass on every step's headers", async () => {
    const cookie = { name: 'Set-Cookie', value: 'k=v' };
    const r = await runSteps([step('action', ['a'], { data: { a: 1 }, headers: [cookie] })], ['a']);
    expect(r.body).toBe('{"data":{"a":1}}');
    expect(r.headers).toEqual([cookie]);
  });

  it('should run no later step once one fails', async () => {
    const ran: string[] = [];
    const failing: Step = {
      kind: 'postgres',
      keys: ['a'],
      run: () => Promise.reject(new Error('statement failed')),
    };
    await expect(
      runSteps([failing, step('action', ['b'], { data: { b: 1 } }, ran)], ['a', 'b']),
    ).rejects.toThrow('statement failed');
    expect(ran).toEqual([]);
  });
});
