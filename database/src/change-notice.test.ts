import { describe, expect, it } from 'vitest';
import {
  ChangeNoticeError,
  decodeChangeNotice,
  encodeChangeNotice,
  isChangeChannelName,
  DEFAULT_CHANGE_CHANNEL,
} from './change-notice.ts';

describe('Database > Change notice', () => {
  it('should write the versioned payload the engine reads back', () => {
    const notice = {
      tables: ['public.sensor_readings', 'public.rollups_1m'],
      series: { 'public.sensor_readings': [12, 40] },
    };
    const payload = encodeChangeNotice(notice);
    expect(payload).toBe(
      '{"v":1,"tables":["public.sensor_readings","public.rollups_1m"],"series":{"public.sensor_readings":[12,40]}}',
    );
    expect(decodeChangeNotice(payload)).toEqual(notice);
  });

  it('should read a notice without series as every series of its tables', () => {
    expect(decodeChangeNotice('{"v":1,"tables":["etl.dead_letters"]}')).toEqual({
      tables: ['etl.dead_letters'],
      series: {},
    });
  });

  it.each([
    ['{"v":2,"tables":[]}', /unsupported change notice version 2/],
    ['{"tables":["t"]}', /unsupported change notice version undefined/],
    ['{"v":"1","tables":["t"]}', /unsupported change notice version "1"/],
    ['nope', /not JSON/],
    ['[1]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{"v":1}', /"tables" must be a list/],
    ['{"v":1,"tables":[1]}', /"tables" must be a list/],
    ['{"v":1,"tables":["t"],"series":[]}', /"series" must be an object/],
    ['{"v":1,"tables":["t"],"series":{"t":5}}', /"series" of t must be a list/],
    ['{"v":1,"tables":["t"],"series":{"t":[{}]}}', /"series" of t must be a list/],
  ])('should refuse %s with a reason', (payload, reason) => {
    expect(() => decodeChangeNotice(payload)).toThrow(ChangeNoticeError);
    expect(() => decodeChangeNotice(payload)).toThrow(reason);
  });

  it('should drop the longest series rather than exceed what NOTIFY accepts', () => {
    const many = Array.from({ length: 3000 }, (_, i) => 100_000 + i);
    const notice = {
      tables: ['public.a', 'public.b'],
      series: { 'public.a': many, 'public.b': [1, 2] },
    };
    const payload = encodeChangeNotice(notice);
    expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    expect(decodeChangeNotice(payload)).toEqual({
      tables: ['public.a', 'public.b'],
      series: { 'public.b': [1, 2] },
    });
    // the caller's notice is left as it was
    expect(notice.series['public.a']).toHaveLength(3000);
  });

  it('should accept only lower-case identifiers as channel names', () => {
    expect(isChangeChannelName(DEFAULT_CHANGE_CHANNEL)).toBe(true);
    for (const bad of ['', 'Changes', 'a-b', '1x', 'x'.repeat(64), 'a b'])
      expect(isChangeChannelName(bad), bad).toBe(false);
  });
});
