import { describe, expect, it } from 'vitest';
import { mergeChanges, parseChanges } from './wakeups.ts';

describe('Engine > Subscriptions > Wake-up payloads', () => {
  it('should read the worker payload: tables, and series where given', () => {
    const c = parseChanges(
      '{"v":1,"tables":["public.sensor_readings","public.rollups_1m"],"series":{"public.sensor_readings":[12,40]}}',
    );
    expect(c).toEqual(
      new Map([
        ['public.sensor_readings', new Set(['12', '40'])],
        ['public.rollups_1m', null],
      ]),
    );
  });

  it.each([undefined, '', 'nope', '{"v":2,"tables":[]}', '{"v":1}', '{"v":1,"tables":[1]}'])(
    'should treat %s as "everything changed"',
    (payload) => {
      expect(parseChanges(payload)).toBeNull();
    },
  );

  it('should merge notifications, a table without series absorbing its series', () => {
    const a = parseChanges('{"v":1,"tables":["t","u"],"series":{"t":[1],"u":[5]}}');
    const b = parseChanges('{"v":1,"tables":["t","u","w"],"series":{"t":[2]}}');
    expect(mergeChanges(a, b)).toEqual(
      new Map([
        ['t', new Set(['1', '2'])],
        ['u', null],
        ['w', null],
      ]),
    );
    expect(mergeChanges(a, null)).toBeNull();
  });
});
