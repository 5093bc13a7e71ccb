/**
 * Broken messages, mixed into the demo streams at a small rate so the worker's dead-letter path is
 * exercised all the time, not only in tests. Each is made from a good message of the stream, the
 * way real input goes wrong: a producer with a bug, a truncated write, a client that sends a batch
 * as an array, a clock set years ahead, bytes that are not UTF-8.
 */
import type { Rng } from './random.ts';

export const BAD_KINDS = [
  'not_json',
  'truncated_json',
  'missing_time',
  'wrong_type',
  'far_future',
  'invalid_utf8',
  'json_array',
] as const;
export type BadKind = (typeof BAD_KINDS)[number];

/** What a stream tells us to break its messages the right way. */
export interface BadShape {
  /** the field holding the event time */
  timeField: string;
  /** a value for the time field far in the future, in the stream's time format */
  farFuture(nowMs: number): unknown;
  /** a numeric field and a value of the wrong type for it */
  wrongType(rng: Rng): [field: string, value: unknown];
}

const NOT_JSON = [
  'temperature=21.5;humidity=40',
  '<reading><temp>70</temp></reading>',
  'OK',
  '{device_id: sensor-0001, temp_f: 70}',
];

const YEAR_MS = 365 * 24 * 3_600_000;

/** A broken version of `record` (a good message of the stream): its bytes, or text. */
export function breakMessage(
  kind: BadKind,
  record: Record<string, unknown>,
  shape: BadShape,
  rng: Rng,
  nowMs: number,
): string | Buffer {
  switch (kind) {
    case 'not_json':
      return NOT_JSON[rng.int(NOT_JSON.length)]!;
    case 'truncated_json': {
      const json = JSON.stringify(record);
      return json.slice(0, 1 + rng.int(json.length - 2));
    }
    case 'missing_time': {
      const copy = { ...record };
      delete copy[shape.timeField];
      return JSON.stringify(copy);
    }
    case 'wrong_type': {
      const [field, value] = shape.wrongType(rng);
      return JSON.stringify({ ...record, [field]: value });
    }
    case 'far_future':
      return JSON.stringify({
        ...record,
        [shape.timeField]: shape.farFuture(nowMs + rng.between(1, 5) * YEAR_MS),
      });
    case 'invalid_utf8': {
      // bytes that no UTF-8 decoder accepts (a lone continuation byte, 0xFF), inside a string
      const json = JSON.stringify(record);
      const at = json.indexOf('":"') + 3;
      return Buffer.concat([
        Buffer.from(json.slice(0, at)),
        Buffer.from([0x80, 0xff, 0xfe]),
        Buffer.from(json.slice(at)),
      ]);
    }
    case 'json_array':
      return JSON.stringify([record]);
  }
}

export function pickBadKind(rng: Rng): BadKind {
  return BAD_KINDS[rng.int(BAD_KINDS.length)]!;
}
