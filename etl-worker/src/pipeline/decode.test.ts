import { describe, expect, it } from 'vitest';
import { compilePipeline } from './compile.ts';
import { abbreviate, parseMessage } from './decode.ts';
import {
  marketTradesPipeline,
  marketTradesTable,
  SENSOR_MESSAGE,
  sensorReadingsPipeline,
  sensorReadingsTable,
  TRADE_MESSAGE,
} from './demo-fixtures.ts';
import type {
  CompiledPipeline,
  DecodeContext,
  DecodeResult,
  PipelineRow,
  RejectedMessage,
  TargetTable,
} from './types.ts';

const SENSOR_NOW = Date.parse('2026-11-27T10:00:05Z');
const SENSOR_CTX: DecodeContext = { nowMs: SENSOR_NOW, maxFutureMs: 5 * 60_000 };
const TRADE_CTX: DecodeContext = { nowMs: TRADE_MESSAGE.ts + 2_000, maxFutureMs: 60_000 };
const DAY_MS = 86_400_000;

const sensor = (edit?: (row: PipelineRow, table: TargetTable) => void): CompiledPipeline => {
  const row = sensorReadingsPipeline();
  const table = sensorReadingsTable();
  edit?.(row, table);
  return compilePipeline(row, table);
};

const trades = (edit?: (row: PipelineRow, table: TargetTable) => void): CompiledPipeline => {
  const row = marketTradesPipeline();
  const table = marketTradesTable();
  edit?.(row, table);
  return compilePipeline(row, table);
};

const mapping = (row: PipelineRow): Record<string, Record<string, unknown>> =>
  row.mapping as Record<string, Record<string, unknown>>;

/** parses bytes as the loader does, then decodes */
const fromBytes = (p: CompiledPipeline, json: string, ctx: DecodeContext): DecodeResult => {
  const parsed = parseMessage(Buffer.from(json), 1 << 20);
  if (!parsed.ok) throw new Error(parsed.reason);
  return p.decode(parsed.doc, ctx);
};

const rejected = (r: DecodeResult): RejectedMessage => {
  expect(r.kind).toBe('error');
  return r as RejectedMessage;
};

describe('Pipeline > Decode > sensor_readings', () => {
  const p = sensor();

  it('should decode a reading: °F to °C, mV to V, the dew point derived', () => {
    const r = fromBytes(p, JSON.stringify(SENSOR_MESSAGE), SENSOR_CTX);
    expect(r).toEqual({
      kind: 'row',
      entityKey: 'sensor-0001',
      entityName: null,
      tsUs: Date.parse('2026-11-27T10:00:00.123Z') * 1000 + 456,
      values: [22, 40, 1013, 3.7, 10],
    });
  });

  it('should decode many readings like the formulas say', () => {
    for (let i = 0; i < 500; i++) {
      const tempF = -40 + i * 0.37;
      const humidity = (i * 7) % 101;
      const msg = {
        device_id: `sensor-${String(i % 50).padStart(4, '0')}`,
        time: new Date(SENSOR_NOW - i * 1000).toISOString(),
        temp_f: tempF,
        humidity,
        pressure_hpa: 980 + (i % 60),
        battery_mv: 3000 + i,
      };
      const r = p.decode(msg, SENSOR_CTX);
      if (r.kind !== 'row') throw new Error(JSON.stringify(r));
      const [t, h, pr, b, dew] = r.values as number[];
      expect(t).toBeCloseTo(((tempF - 32) * 5) / 9, 10);
      expect(h).toBe(humidity);
      expect(pr).toBe(980 + (i % 60));
      expect(b).toBeCloseTo((3000 + i) / 1000, 12);
      expect(dew).toBeCloseTo(t! - (100 - humidity) / 5, 10);
      expect(r.tsUs).toBe((SENSOR_NOW - i * 1000) * 1000);
    }
  });

  it('should take numeric strings for float columns', () => {
    const r = p.decode({ ...SENSOR_MESSAGE, humidity: '40.5' }, SENSOR_CTX);
    expect(r.kind === 'row' && r.values[1]).toBe(40.5);
  });

  it('should leave missing optional fields null, and derived values from them null', () => {
    const { humidity: _h, ...rest } = SENSOR_MESSAGE;
    const r = p.decode({ ...rest, pressure_hpa: null }, SENSOR_CTX);
    expect(r.kind === 'row' && r.values).toEqual([22, null, null, 3.7, null]);
  });

  it('should name the field and the value that is not a number', () => {
    expect(p.decode({ ...SENSOR_MESSAGE, temp_f: 'hot' }, SENSOR_CTX)).toEqual({
      kind: 'error',
      code: 'invalid_value',
      reason: '$.temp_f: expected a number, got "hot"',
    });
    expect(rejected(p.decode({ ...SENSOR_MESSAGE, humidity: true }, SENSOR_CTX)).reason).toBe(
      '$.humidity: expected a number, got true',
    );
    expect(rejected(p.decode({ ...SENSOR_MESSAGE, humidity: { v: 1 } }, SENSOR_CTX)).reason).toBe(
      '$.humidity: expected a number, got {"v":1}',
    );
  });

  it('should shorten long offending values to 60 characters', () => {
    const long = 'x'.repeat(500);
    const r = rejected(p.decode({ ...SENSOR_MESSAGE, temp_f: long }, SENSOR_CTX));
    expect(r.code).toBe('invalid_value');
    const shown = r.reason.slice('$.temp_f: expected a number, got '.length);
    expect(shown.length).toBe(60);
    expect(shown.endsWith('…')).toBe(true);
    expect(abbreviate('x'.repeat(58))).toHaveLength(60);
    expect(abbreviate('x'.repeat(59))).toHaveLength(60);
    expect(abbreviate(undefined)).toBe('nothing');
  });

  describe('the entity', () => {
    it('should require the key', () => {
      const { device_id: _d, ...rest } = SENSOR_MESSAGE;
      expect(rejected(p.decode(rest, SENSOR_CTX))).toEqual({
        kind: 'error',
        code: 'missing_field',
        reason: '$.device_id: the entity key is missing',
      });
      expect(rejected(p.decode({ ...SENSOR_MESSAGE, device_id: null }, SENSOR_CTX)).code).toBe(
        'missing_field',
      );
    });

    it('should take numbers as keys, as text', () => {
      const r = p.decode({ ...SENSOR_MESSAGE, device_id: 42 }, SENSOR_CTX);
      expect(r.kind === 'row' && r.entityKey).toBe('42');
    });

    it.each([[''], ['k'.repeat(201)], ['😀'.repeat(201)], [true], [{ id: 1 }], [['a']]])(
      'should refuse the key %j',
      (key) => {
        const r = rejected(p.decode({ ...SENSOR_MESSAGE, device_id: key }, SENSOR_CTX));
        expect(r.code).toBe('invalid_value');
        expect(r.reason).toMatch(/^\$\.device_id: the entity key must/);
      },
    );

    // issue 11: these keys made the worker retry the same chunk forever in resolveEntities
    it.each([
      ['dev-\u0000x', /NUL \(\\u0000\) at character 4/],
      ['dev-\ud800', /lone UTF-16 surrogate \(\\ud800\) at character 4/],
      ['\udc00dev', /lone UTF-16 surrogate \(\\udc00\) at character 0/],
      ['dev\u001bx', /control character \\u001b at character 3/],
      ['dev\nx', /control character \\u000a/],
      ['dev\u0085x', /control character \\u0085/],
    ])('should refuse the key %j up front, saying why', (key, why) => {
      const r = rejected(p.decode({ ...SENSOR_MESSAGE, device_id: key }, SENSOR_CTX));
      expect(r.code).toBe('invalid_value');
      expect(r.reason).toMatch(/^\$\.device_id: the entity key contains/);
      expect(r.reason).toMatch(why);
    });

    it('should take a key with a surrogate pair (an emoji)', () => {
      const r = p.decode({ ...SENSOR_MESSAGE, device_id: 'dev-😀' }, SENSOR_CTX);
      expect(r.kind === 'row' && r.entityKey).toBe('dev-😀');
    });

    it.each([['k'.repeat(200)], ['😀'.repeat(200)]])(
      'should take a key of 200 characters',
      (key) => {
        const r = p.decode({ ...SENSOR_MESSAGE, device_id: key }, SENSOR_CTX);
        expect(r.kind === 'row' && r.entityKey).toBe(key);
      },
    );

    it('should read the display name when declared', () => {
      const named = sensor((row) => {
        row.entity = { kind: 'sensor', key: '$.device_id', name: '$.meta.label' };
      });
      const r = named.decode({ ...SENSOR_MESSAGE, meta: { label: 'Roof' } }, SENSOR_CTX);
      expect(r.kind === 'row' && r.entityName).toBe('Roof');
      const none = named.decode(SENSOR_MESSAGE, SENSOR_CTX);
      expect(none.kind === 'row' && none.entityName).toBeNull();
      const bad = rejected(named.decode({ ...SENSOR_MESSAGE, meta: { label: [1] } }, SENSOR_CTX));
      expect(bad.reason).toBe('$.meta.label: the entity name must be a string, got [1]');
    });
  });

  describe('the time', () => {
    const at = (time: unknown): DecodeResult => p.decode({ ...SENSOR_MESSAGE, time }, SENSOR_CTX);

    it('should require it', () => {
      const { time: _t, ...rest } = SENSOR_MESSAGE;
      expect(p.decode(rest, SENSOR_CTX)).toEqual({
        kind: 'error',
        code: 'missing_field',
        reason: '$.time: the time is missing',
      });
    });

    it.each([
      [
        '2026-11-27T10:00:00',
        '$.time: has no UTC offset (add Z or ±HH:MM), got "2026-11-27T10:00:00"',
      ],
      [
        '2026-02-30T10:00:00Z',
        '$.time: day 30 does not exist in 2026-02, got "2026-02-30T10:00:00Z"',
      ],
      [
        'yesterday',
        '$.time: expected an ISO 8601 time YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM), got "yesterday"',
      ],
      [1764230400, '$.time: expected a string, not a number, got 1764230400'],
    ])('should call %j an invalid time', (time, reason) => {
      expect(at(time)).toEqual({ kind: 'error', code: 'invalid_time', reason });
    });

    it('should refuse times before 1970', () => {
      const r = rejected(at('1969-12-31T23:59:59Z'));
      expect(r.code).toBe('out_of_range');
      expect(r.reason).toContain('outside the years 1970 to 9999');
    });

    it('should refuse times further ahead than maxFutureMs', () => {
      expect(at(new Date(SENSOR_NOW + 5 * 60_000).toISOString()).kind).toBe('row');
      const r = rejected(at(new Date(SENSOR_NOW + 5 * 60_000 + 1).toISOString()));
      expect(r.code).toBe('out_of_range');
      expect(r.reason).toBe(
        '$.time: 2026-11-27T10:05:05.001000Z is more than 300 s ahead of 2026-11-27T10:00:05.000000Z',
      );
    });

    it('should refuse times older than the retention, before judging lateness', () => {
      const r = rejected(at(new Date(SENSOR_NOW - 31 * DAY_MS).toISOString()));
      expect(r.code).toBe('out_of_range');
      expect(r.reason).toContain("older than the table's retention (2592000 s)");
    });

    it('should dead-letter late points as late when late_action is dead_letter', () => {
      expect(at(new Date(SENSOR_NOW - 7 * DAY_MS).toISOString()).kind).toBe('row');
      const r = rejected(at(new Date(SENSOR_NOW - 7 * DAY_MS - 1).toISOString()));
      expect(r.code).toBe('late');
      expect(r.reason).toContain('is older than late_after (604800 s)');
    });

    it('should skip late points when late_action is drop, and keep them on accept', () => {
      const old = { ...SENSOR_MESSAGE, time: new Date(SENSOR_NOW - 8 * DAY_MS).toISOString() };
      const drop = sensor((row) => {
        row.late_action = 'drop';
      });
      expect(drop.decode(old, SENSOR_CTX)).toEqual({
        kind: 'skip',
        reason: 'late: older than late_after (604800 s)',
      });
      const accept = sensor((row) => {
        row.late_action = 'accept';
      });
      expect(accept.decode(old, SENSOR_CTX).kind).toBe('row');
      const never = sensor((row) => {
        row.late_after_s = null;
      });
      expect(never.decode(old, SENSOR_CTX).kind).toBe('row');
    });

    it('should accept any age without a retention', () => {
      const forever = sensor((row, table) => {
        table.retentionS = null;
        row.late_after_s = null;
      });
      expect(
        forever.decode({ ...SENSOR_MESSAGE, time: '1970-01-01T00:00:00Z' }, SENSOR_CTX),
      ).toMatchObject({
        kind: 'row',
        tsUs: 0,
      });
    });

    it.each([
      ['epoch_s', 1795773600, 1795773600_000_000],
      ['epoch_s', 1795773600.5, 1795773600_500_000],
      ['epoch_ms', '1795773600123', 1795773600_123_000],
      ['epoch_us', 1795773600123456, 1795773600_123_456],
      ['epoch_ns', '1795773600123456789', 1795773600_123_456],
      ['pattern:DD/MM/YYYY HH:mm:ss', '27/11/2026 10:00:00', 1795773600_000_000],
    ])('should read %s times', (format, time, tsUs) => {
      const p2 = sensor((row) => {
        row.time_format = format;
      });
      expect(p2.decode({ ...SENSOR_MESSAGE, time }, SENSOR_CTX)).toMatchObject({
        kind: 'row',
        tsUs,
      });
    });

    it('should call epoch times past year 9999 out of range', () => {
      const p2 = sensor((row, table) => {
        row.time_format = 'epoch_s';
        table.retentionS = null;
      });
      const r = rejected(
        p2.decode({ ...SENSOR_MESSAGE, time: 1e12 }, { ...SENSOR_CTX, maxFutureMs: 1e16 }),
      );
      expect(r.code).toBe('out_of_range');
      expect(r.reason).toContain('outside the years 1970 to 9999');
    });
  });

  it('should report expression errors per message, naming the expression', () => {
    const p2 = sensor((row) => {
      row.transforms = [{ column: 'dew_point', expr: 'temperature / (humidity - 40)' }];
    });
    expect(p2.decode(SENSOR_MESSAGE, SENSOR_CTX)).toEqual({
      kind: 'error',
      code: 'expression_error',
      reason: 'dew_point = temperature / (humidity - 40): division by zero',
    });
    expect(p2.decode({ ...SENSOR_MESSAGE, humidity: 50 }, SENSOR_CTX).kind).toBe('row');
  });

  it('should let transforms use earlier transforms and the raw message', () => {
    const p2 = sensor((row) => {
      row.mapping = { temperature: { path: '$.temp_f', unit: { from: 'degF', to: 'degC' } } };
      row.transforms = [
        { column: 'humidity', expr: 'coalesce($.rh, 50)' },
        { column: 'dew_point', expr: 'round(temperature - (100 - humidity) / 5, 1)' },
      ];
      row.rollup_columns = [];
    });
    const r = p2.decode({ ...SENSOR_MESSAGE, temp_f: 70 }, SENSOR_CTX);
    expect(r.kind === 'row' && r.values).toEqual([21.11111111111111, 50, 11.1]);
  });

  it('should not change the message', () => {
    const msg = structuredClone(SENSOR_MESSAGE);
    p.decode(msg, SENSOR_CTX);
    expect(msg).toEqual(SENSOR_MESSAGE);
  });
});

describe('Pipeline > Decode > market_trades', () => {
  const p = trades();

  it('should decode a trade with exact decimals and the notional', () => {
    const r = fromBytes(p, JSON.stringify(TRADE_MESSAGE), TRADE_CTX);
    expect(r).toEqual({
      kind: 'row',
      entityKey: 'BTC-USD',
      entityName: null,
      tsUs: 1764230400123000,
      values: ['t1', '64000.5', '0.25', 'buy', '16000.125'],
    });
  });

  it('should keep decimal digits that a double would lose', () => {
    const r = p.decode({ ...TRADE_MESSAGE, px: '64000.12345678', qty: '0.00000001' }, TRADE_CTX);
    expect(r.kind === 'row' && r.values.slice(1, 3)).toEqual(['64000.12345678', '0.00000001']);
  });

  it('should take JSON numbers for numeric columns', () => {
    const r = p.decode({ ...TRADE_MESSAGE, px: 64000.5, qty: 2 }, TRADE_CTX);
    expect(r.kind === 'row' && r.values).toEqual(['t1', '64000.5', '2', 'buy', '128001']);
  });

  it('should follow the decimals of each message, one message after another', () => {
    const sizes = ['1', '2', '2', '0.5', '3', '1'];
    const notionals = sizes.map((qty) => {
      const r = p.decode({ ...TRADE_MESSAGE, px: '10', qty }, TRADE_CTX);
      return r.kind === 'row' ? r.values[4] : r.kind;
    });
    expect(notionals).toEqual(['10', '20', '20', '5', '30', '10']);
  });

  it.each([['0'], ['-1'], [0]])('should skip a trade of size %j by the filter', (qty) => {
    expect(p.decode({ ...TRADE_MESSAGE, qty }, TRADE_CTX)).toEqual({
      kind: 'skip',
      reason: 'filter: size > 0',
    });
  });

  it.each([
    ['px', undefined, 'missing_field', '$.px: required but missing'],
    ['px', null, 'missing_field', '$.px: required, got null'],
    ['px', 'abc', 'invalid_value', '$.px: expected a decimal number, got "abc"'],
    ['px', 'NaN', 'invalid_value', '$.px: expected a decimal number, got "NaN"'],
    [
      'px',
      '1e20',
      'invalid_value',
      '$.px: out of range for the column (at most 12 digits before the point), got "1e20"',
    ],
    ['id', undefined, 'missing_field', '$.id: required but missing'],
    ['id', { x: 1 }, 'invalid_value', '$.id: expected a string, got {"x":1}'],
    ['ts', 'soon', 'invalid_time', '$.ts: not a number, got "soon"'],
    [
      'ts',
      true,
      'invalid_time',
      '$.ts: expected a number or a numeric string, not a boolean, got true',
    ],
    ['symbol', undefined, 'missing_field', '$.symbol: the entity key is missing'],
  ])('should reject %s = %j as %s', (field, value, code, reason) => {
    const msg: Record<string, unknown> = { ...TRADE_MESSAGE };
    if (value === undefined) delete msg[field];
    else msg[field] = value;
    expect(p.decode(msg, TRADE_CTX)).toEqual({ kind: 'error', code, reason });
  });

  it('should take ids that are numbers as text', () => {
    const r = p.decode({ ...TRADE_MESSAGE, id: 981234 }, TRADE_CTX);
    expect(r.kind === 'row' && r.values[0]).toBe('981234');
  });

  it('should require NOT NULL columns even when the declaration says optional', () => {
    const p2 = trades((row) => {
      delete mapping(row).side!.required;
    });
    const { side: _s, ...rest } = TRADE_MESSAGE;
    expect(rejected(p2.decode(rest, TRADE_CTX))).toEqual({
      kind: 'error',
      code: 'missing_field',
      reason: '$.side: required but missing',
    });
  });

  it('should refuse a null derived value for a NOT NULL column', () => {
    const p2 = trades((row, table) => {
      table.columns.find((c) => c.name === 'notional')!.notNull = true;
      row.transforms = [{ column: 'notional', expr: 'price * $.fee' }];
    });
    expect(p2.decode(TRADE_MESSAGE, TRADE_CTX)).toEqual({
      kind: 'error',
      code: 'expression_error',
      reason: 'notional = price * $.fee: null, but notional is NOT NULL',
    });
  });

  it('should report a filter that fails, and skip on a null condition', () => {
    const p2 = trades((row) => {
      row.filters = [{ expr: '$.venue > 1' }];
    });
    expect(p2.decode({ ...TRADE_MESSAGE, venue: 'x' }, TRADE_CTX)).toEqual({
      kind: 'error',
      code: 'expression_error',
      reason: 'filter $.venue > 1: cannot compare string "x" > number 1',
    });
    expect(p2.decode(TRADE_MESSAGE, TRADE_CTX)).toEqual({
      kind: 'skip',
      reason: 'filter: $.venue > 1',
    });
    expect(p2.decode({ ...TRADE_MESSAGE, venue: 2 }, TRADE_CTX).kind).toBe('row');
  });

  it('should report a filter that gives no boolean', () => {
    const p2 = trades((row) => {
      row.filters = [{ expr: '$.venue' }];
    });
    expect(rejected(p2.decode({ ...TRADE_MESSAGE, venue: 'x' }, TRADE_CTX)).reason).toBe(
      'filter $.venue: expected true or false, got "x"',
    );
  });
});

describe('Pipeline > Decode > other column types', () => {
  const table: TargetTable = {
    schema: 'public',
    name: 'events',
    retentionS: null,
    columns: [
      { name: 'ts', sqlType: 'timestamp with time zone', notNull: true, hasDefault: false },
      { name: 'code', sqlType: 'integer', notNull: false, hasDefault: false },
      { name: 'counter', sqlType: 'bigint', notNull: false, hasDefault: false },
      { name: 'ok', sqlType: 'boolean', notNull: false, hasDefault: false },
      { name: 'payload', sqlType: 'jsonb', notNull: false, hasDefault: false },
      { name: 'seen_at', sqlType: 'timestamp with time zone', notNull: false, hasDefault: false },
      { name: 'tag', sqlType: 'character varying(4)', notNull: false, hasDefault: false },
      { name: 'half', sqlType: 'integer', notNull: false, hasDefault: false },
      { name: 'id', sqlType: 'bigint', notNull: true, hasDefault: true },
    ],
  };
  const row: PipelineRow = {
    ...sensorReadingsPipeline(),
    name: 'events',
    target_table: 'events',
    entity: null,
    mapping: {
      code: { path: '$.code' },
      counter: { path: '$.counter', type: 'int8' },
      ok: { path: '$.flags[0]' },
      payload: { path: '$.body' },
      seen_at: { path: "$['seen at']" },
      tag: { path: '$.tag' },
    },
    time_format: 'epoch_ms',
    time_field: '$.t',
    key_columns: ['ts'],
    transforms: [{ column: 'half', expr: 'code / 2' }],
    filters: [{ expr: 'ok' }],
    rollup_columns: ['code'],
  };
  const p = compilePipeline(row, table);
  const ctx = { nowMs: Date.parse('2026-01-01T00:00:00Z'), maxFutureMs: 60_000 };
  const t = Date.parse('2025-12-31T23:59:00Z');

  it('should leave out columns with defaults that nothing fills', () => {
    expect(p.columns.map((c) => `${c.name}:${c.sqlType}`)).toEqual([
      'code:int4',
      'counter:int8',
      'ok:bool',
      'payload:jsonb',
      'seen_at:timestamptz',
      'tag:text',
      'half:int4',
    ]);
    expect(p.entityKind).toBeNull();
  });

  it('should coerce each value into its column', () => {
    const r = p.decode(
      {
        t,
        code: 42,
        counter: '9007199254740993',
        flags: [true],
        body: { a: [1, 'x'] },
        'seen at': '2025-12-31T23:00:00+01:00',
        tag: 'abcd',
      },
      ctx,
    );
    expect(r).toEqual({
      kind: 'row',
      entityKey: null,
      entityName: null,
      tsUs: t * 1000,
      values: [
        42,
        '9007199254740993',
        true,
        '{"a":[1,"x"]}',
        '2025-12-31T22:00:00.000000Z',
        'abcd',
        21,
      ],
    });
  });

  it('should refuse a derived value that does not fit its column', () => {
    const r = rejected(p.decode({ t, code: 41, flags: [true] }, ctx));
    expect(r).toEqual({
      kind: 'error',
      code: 'expression_error',
      reason: 'half = code / 2: expected an integer, got 20.5',
    });
  });

  it.each([
    [{ code: 1.5 }, '$.code: expected an integer, got 1.5'],
    [{ code: 2 ** 31 }, '$.code: out of range for int4, got 2147483648'],
    [{ tag: 'abcde' }, '$.tag: longer than 4 characters, got "abcde"'],
    [{ flags: ['yes'] }, '$.flags[0]: expected true or false, got "yes"'],
    [
      { 'seen at': 'now' },
      '$[\'seen at\']: expected an ISO 8601 time YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM), got "now"',
    ],
  ])('should refuse %j', (fields, reason) => {
    expect(p.decode({ t, flags: [true], ...fields }, ctx)).toEqual({
      kind: 'error',
      code: 'invalid_value',
      reason,
    });
  });

  it('should skip by a boolean column filter', () => {
    expect(p.decode({ t, flags: [false] }, ctx)).toEqual({ kind: 'skip', reason: 'filter: ok' });
    expect(p.decode({ t }, ctx)).toEqual({ kind: 'skip', reason: 'filter: ok' });
  });
});

describe('Pipeline > Decode > parseMessage', () => {
  it('should parse a JSON object', () => {
    expect(parseMessage(Buffer.from('{"a":1}'), 100)).toEqual({ ok: true, doc: { a: 1 } });
  });

  it('should take a message of exactly maxBytes', () => {
    expect(parseMessage(Buffer.from('{"a":1}'), 7).ok).toBe(true);
  });

  it.each<[string, Buffer | null, number, string, string | RegExp]>([
    ['a null value', null, 100, 'invalid_json', 'empty message'],
    ['an empty value', Buffer.alloc(0), 100, 'invalid_json', /JSON/],
    [
      'too many bytes',
      Buffer.from('{"a":12}'),
      7,
      'oversized',
      'the message has 8 bytes, more than 7',
    ],
    [
      'invalid UTF-8',
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]),
      100,
      'undecodable',
      'not valid UTF-8',
    ],
    [
      'an overlong encoding',
      Buffer.from([0x22, 0xc0, 0xaf, 0x22]),
      100,
      'undecodable',
      'not valid UTF-8',
    ],
    [
      'an encoded surrogate',
      Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]),
      100,
      'undecodable',
      'not valid UTF-8',
    ],
    ['truncated JSON', Buffer.from('{"a":'), 100, 'invalid_json', /JSON/],
    ['JSON with a trailing comma', Buffer.from('{"a":1,}'), 100, 'invalid_json', /JSON|property/],
    [
      'an array',
      Buffer.from('[1,2]'),
      100,
      'not_an_object',
      'expected a JSON object, got an array',
    ],
    ['a number', Buffer.from('42'), 100, 'not_an_object', 'expected a JSON object, got a number'],
    ['a string', Buffer.from('"x"'), 100, 'not_an_object', 'expected a JSON object, got a string'],
    ['null', Buffer.from('null'), 100, 'not_an_object', 'expected a JSON object, got null'],
  ])('should reject %s', (_what, value, maxBytes, code, reason) => {
    const r = parseMessage(value, maxBytes);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('error');
    expect(r.code).toBe(code);
    expect(r.reason).toMatch(reason);
  });

  it('should read multi-byte characters', () => {
    const r = parseMessage(Buffer.from('{"unit":"°C","name":"Zürich 😀"}'), 100);
    expect(r).toEqual({ ok: true, doc: { unit: '°C', name: 'Zürich 😀' } });
  });
});
