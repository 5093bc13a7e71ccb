import { describe, expect, it } from 'vitest';
import { compilePipeline } from './compile.ts';
import {
  marketTradesPipeline,
  marketTradesTable,
  sensorReadingsPipeline,
  sensorReadingsTable,
} from './demo-fixtures.ts';
import type { PipelineRow, TargetTable } from './types.ts';
import { PipelineError } from './types.ts';

type Edit = (row: PipelineRow & Record<string, unknown>, table: TargetTable) => void;

/** The PipelineError a sensor (or trades) declaration edited by `edit` fails with. */
function failure(edit: Edit, demo: 'sensor' | 'trades' = 'sensor'): PipelineError {
  const row = (
    demo === 'sensor' ? sensorReadingsPipeline() : marketTradesPipeline()
  ) as PipelineRow & Record<string, unknown>;
  const table = demo === 'sensor' ? sensorReadingsTable() : marketTradesTable();
  edit(row, table);
  try {
    compilePipeline(row, table);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return e as PipelineError;
  }
  throw new Error('the declaration compiled');
}

// loosely typed access to the JSON parts of a declaration, as a test edits them
const mapping = (row: PipelineRow): Record<string, Record<string, unknown>> =>
  row.mapping as Record<string, Record<string, unknown>>;
const entity = (row: PipelineRow): Record<string, unknown> => row.entity as Record<string, unknown>;

describe('Pipeline > Compile > the demo declarations', () => {
  it('should compile sensor_readings into mapped then derived float8 columns', () => {
    const p = compilePipeline(sensorReadingsPipeline(), sensorReadingsTable());
    expect(p).toMatchObject({
      name: 'sensor_readings',
      version: 1,
      topics: ['sensor-readings'],
      schema: 'public',
      table: 'sensor_readings',
      timeColumn: 'ts',
      entityKind: 'sensor',
      keyColumns: ['entity_id', 'ts'],
      rollupColumns: ['temperature', 'humidity', 'pressure', 'battery'],
      onDuplicate: 'ignore',
      retentionS: 30 * 86_400,
    });
    expect(p.columns).toEqual([
      { name: 'temperature', sqlType: 'float8' },
      { name: 'humidity', sqlType: 'float8' },
      { name: 'pressure', sqlType: 'float8' },
      { name: 'battery', sqlType: 'float8' },
      { name: 'dew_point', sqlType: 'float8' },
    ]);
  });

  it('should compile market_trades with exact numeric and text columns', () => {
    const p = compilePipeline(marketTradesPipeline(), marketTradesTable());
    expect(p.entityKind).toBe('instrument');
    expect(p.keyColumns).toEqual(['entity_id', 'ts', 'trade_id']);
    expect(p.columns).toEqual([
      { name: 'trade_id', sqlType: 'text' },
      { name: 'price', sqlType: 'numeric' },
      { name: 'size', sqlType: 'numeric' },
      { name: 'side', sqlType: 'text' },
      { name: 'notional', sqlType: 'numeric' },
    ]);
    expect(p.retentionS).toBe(90 * 86_400);
  });

  it('should give each column the unnest element type of its format_type', () => {
    const table: TargetTable = {
      schema: 'public',
      name: 'wide',
      retentionS: null,
      columns: [
        ['ts', 'timestamp with time zone', true],
        ['a', 'double precision', false],
        ['b', 'numeric(20,8)', false],
        ['c', 'character varying(10)', false],
        ['d', 'integer', false],
        ['e', 'bigint', false],
        ['f', 'boolean', false],
        ['g', 'jsonb', false],
        ['h', 'timestamp with time zone', false],
        ['i', 'real', false],
        ['j', 'smallint', false],
        ['k', 'text', false],
      ].map(([name, sqlType, notNull]) => ({
        name: name as string,
        sqlType: sqlType as string,
        notNull: notNull as boolean,
        hasDefault: false,
      })),
    };
    const names = 'abcdefghijk'.split('');
    const row: PipelineRow = {
      ...sensorReadingsPipeline(),
      name: 'wide',
      target_table: 'wide',
      entity: null,
      mapping: Object.fromEntries(names.map((n) => [n, { path: `$.${n}` }])),
      key_columns: ['ts'],
      transforms: [],
      rollup_columns: [],
    };
    expect(compilePipeline(row, table).columns).toEqual(
      names.map((name, i) => ({
        name,
        sqlType: [
          'float8',
          'numeric',
          'text',
          'int4',
          'int8',
          'bool',
          'jsonb',
          'timestamptz',
          'float4',
          'int2',
          'text',
        ][i],
      })),
    );
  });

  it('should accept a declared type narrower than the column', () => {
    const row = sensorReadingsPipeline();
    mapping(row).humidity!.type = 'int4';
    mapping(row).pressure!.type = 'numeric';
    expect(() => compilePipeline(row, sensorReadingsTable())).not.toThrow();
  });

  it('should name the pipeline, the key and the reason', () => {
    const e = failure((row) => {
      mapping(row).temperature!.unit = { from: 'degX', to: 'degC' };
    });
    expect(e.pipeline).toBe('sensor_readings');
    expect(e.key).toBe('mapping.temperature.unit.from');
    expect(e.message).toMatch(
      /^pipeline sensor_readings: mapping\.temperature\.unit\.from: unknown unit "degX"/,
    );
  });
});

describe('Pipeline > Compile > validation', () => {
  it.each<[string, Edit, string, string, ('sensor' | 'trades')?]>([
    // mapping shapes
    ['mapping not an object', (r) => void (r.mapping = []), 'mapping', 'expected an object'],
    ['mapping null', (r) => void (r.mapping = null), 'mapping', 'expected an object'],
    [
      'an entry not an object',
      (r) => void (mapping(r).temperature = '$.temp_f' as never),
      'mapping.temperature',
      'expected {"path"',
    ],
    [
      'a missing path',
      (r) => void delete mapping(r).temperature!.path,
      'mapping.temperature.path',
      'missing',
    ],
    [
      'a path without $',
      (r) => void (mapping(r).temperature!.path = 'temp_f'),
      'mapping.temperature.path',
      'invalid JSON path "temp_f": a path starts with $',
    ],
    [
      'a path with wildcards',
      (r) => void (mapping(r).temperature!.path = '$.temps[*]'),
      'mapping.temperature.path',
      'wildcards',
    ],
    [
      'a path that is not a string',
      (r) => void (mapping(r).temperature!.path = 5),
      'mapping.temperature.path',
      'expected a JSON path',
    ],
    [
      'an unknown key',
      (r) => void (mapping(r).temperature!.paht = '$.x'),
      'mapping.temperature.paht',
      'unknown key',
    ],
    [
      'an unknown type',
      (r) => void (mapping(r).temperature!.type = 'float'),
      'mapping.temperature.type',
      'unknown type "float"',
    ],
    [
      'an incompatible type',
      (r) => void (mapping(r).temperature!.type = 'text'),
      'mapping.temperature.type',
      'a text field cannot go into temperature (double precision)',
    ],
    [
      'a type that is not a string',
      (r) => void (mapping(r).temperature!.type = 8),
      'mapping.temperature.type',
      'expected a type name',
    ],
    [
      'required not a boolean',
      (r) => void (mapping(r).temperature!.required = 'yes'),
      'mapping.temperature.required',
      'expected true or false',
    ],
    // units
    [
      'an unknown from unit',
      (r) => void (mapping(r).temperature!.unit = { from: 'degX', to: 'degC' }),
      'mapping.temperature.unit.from',
      'unknown unit "degX"',
    ],
    [
      'an unknown to unit',
      (r) => void (mapping(r).temperature!.unit = { from: 'degF', to: 'celsius' }),
      'mapping.temperature.unit.to',
      'unknown unit "celsius"',
    ],
    [
      'units of two quantities',
      (r) => void (mapping(r).temperature!.unit = { from: 'degF', to: 'V' }),
      'mapping.temperature.unit',
      'cannot convert degF (temperature) to V (voltage)',
    ],
    [
      'a unit that is a string',
      (r) => void (mapping(r).temperature!.unit = 'degF'),
      'mapping.temperature.unit',
      'expected {"from"',
    ],
    [
      'a unit without to',
      (r) => void (mapping(r).temperature!.unit = { from: 'degF' }),
      'mapping.temperature.unit.to',
      'expected a unit',
    ],
    [
      'a unit with an extra key',
      (r) => void (mapping(r).temperature!.unit = { from: 'degF', to: 'degC', scale: 2 }),
      'mapping.temperature.unit.scale',
      'unknown key',
    ],
    [
      'a unit on a text column',
      (r) => void (mapping(r).side!.unit = { from: 'm', to: 'cm' }),
      'mapping.side.unit',
      'needs a float or numeric column',
      'trades',
    ],
    // columns
    [
      'a column the table lacks',
      (r) => void (mapping(r).nope = { path: '$.nope' }),
      'mapping.nope',
      'public.sensor_readings has no column "nope"',
    ],
    [
      'the time column mapped',
      (r) => void (mapping(r).ts = { path: '$.time' }),
      'mapping.ts',
      'is the time column',
    ],
    [
      'entity_id mapped',
      (r) => void (mapping(r).entity_id = { path: '$.id' }),
      'mapping.entity_id',
      'comes from the entity',
    ],
    [
      'a column of an unloadable type',
      (r) => void (mapping(r).ingest_xid = { path: '$.x' }),
      'mapping.ingest_xid',
      'type xid8, which pipelines cannot load',
    ],
    [
      'a NOT NULL column nothing fills',
      (r) => void delete mapping(r).side,
      'mapping',
      'side is NOT NULL without a default, and nothing fills it',
      'trades',
    ],
    // transforms
    ['transforms not a list', (r) => void (r.transforms = {}), 'transforms', 'expected a list'],
    [
      'a transform not an object',
      (r) => void (r.transforms = ['x']),
      'transforms[0]',
      'expected {"column"',
    ],
    [
      'a transform syntax error',
      (r) =>
        void (r.transforms = [{ column: 'dew_point', expr: 'temperature - (100 - humidity / 5' }]),
      'transforms[0].expr',
      'at position 34: expected ")"',
    ],
    [
      'a transform with an unknown name',
      (r) => void (r.transforms = [{ column: 'dew_point', expr: 'temp - 1' }]),
      'transforms[0].expr',
      'at position 1: unknown name "temp"',
    ],
    [
      'a transform using itself',
      (r) => void (r.transforms = [{ column: 'dew_point', expr: 'dew_point + 1' }]),
      'transforms[0].expr',
      'unknown name "dew_point"',
    ],
    [
      'a transform on an unknown column',
      (r) => void (r.transforms = [{ column: 'dew', expr: '1' }]),
      'transforms[0].column',
      'has no column "dew"',
    ],
    [
      'a transform on a mapped column',
      (r) => void (r.transforms = [{ column: 'humidity', expr: '1' }]),
      'transforms[0].column',
      'already filled by mapping.humidity',
    ],
    [
      'a transform on the time column',
      (r) => void (r.transforms = [{ column: 'ts', expr: '1' }]),
      'transforms[0].column',
      'is the time column',
    ],
    [
      'a transform filling a column twice',
      (r) =>
        void (r.transforms = [
          { column: 'dew_point', expr: '1' },
          { column: 'dew_point', expr: '2' },
        ]),
      'transforms[1].column',
      'already filled by transforms[0]',
    ],
    [
      'a transform of the wrong type',
      (r) => void (r.transforms = [{ column: 'dew_point', expr: "'cold'" }]),
      'transforms[0].expr',
      'gives a string, but dew_point is double precision',
    ],
    [
      'a transform without expr',
      (r) => void (r.transforms = [{ column: 'dew_point' }]),
      'transforms[0].expr',
      'missing',
    ],
    [
      'a transform with an extra key',
      (r) => void (r.transforms = [{ column: 'dew_point', expr: '1', when: 'x' }]),
      'transforms[0].when',
      'unknown key',
    ],
    [
      'an eval attempt',
      (r) =>
        void (r.transforms = [
          { column: 'dew_point', expr: "constructor.constructor('return process')()" },
        ]),
      'transforms[0].expr',
      'at position 12: unexpected character "."',
    ],
    [
      'a reference to process',
      (r) => void (r.transforms = [{ column: 'dew_point', expr: 'process' }]),
      'transforms[0].expr',
      'unknown name "process"',
    ],
    [
      'a call of constructor',
      (r) => void (r.transforms = [{ column: 'dew_point', expr: "constructor('x')" }]),
      'transforms[0].expr',
      'unknown function "constructor"',
    ],
    // filters
    ['filters not a list', (r) => void (r.filters = 'size > 0'), 'filters', 'expected a list'],
    [
      'a filter that is not a condition',
      (r) => void (r.filters = [{ expr: 'size * 2' }]),
      'filters[0].expr',
      'a filter is a condition',
      'trades',
    ],
    [
      'a filter with an unknown name',
      (r) => void (r.filters = [{ expr: 'size > 0' }, { expr: 'qty > 0' }]),
      'filters[1].expr',
      'unknown name "qty"',
      'trades',
    ],
    ['a filter without expr', (r) => void (r.filters = [{}]), 'filters[0].expr', 'missing'],
    // time
    [
      'an unknown time format',
      (r) => void (r.time_format = 'rfc2822'),
      'time_format',
      'unknown time format "rfc2822"',
    ],
    [
      'a bad time pattern',
      (r) => void (r.time_format = 'pattern:YY-MM-DD'),
      'time_format',
      'unsupported token "YY"',
    ],
    [
      'a pattern without a day',
      (r) => void (r.time_format = 'pattern:YYYY-MM'),
      'time_format',
      'no DD',
    ],
    ['a bad time field', (r) => void (r.time_field = 'time'), 'time_field', 'invalid JSON path'],
    [
      'an unknown time column',
      (r) => void (r.time_column = 'time'),
      'time_column',
      'has no column "time"',
    ],
    [
      'a time column that is not a timestamp',
      (r) => void (r.time_column = 'temperature'),
      'time_column',
      'not timestamp with time zone',
    ],
    // entity
    ['an entity that is a string', (r) => void (r.entity = 'sensor'), 'entity', 'expected {"kind"'],
    [
      'an entity without kind',
      (r) => void delete entity(r).kind,
      'entity.kind',
      'expected the entity kind',
    ],
    [
      'an entity without key',
      (r) => void delete entity(r).key,
      'entity.key',
      'expected a JSON path',
    ],
    [
      'an entity with a bad key path',
      (r) => void (entity(r).key = '$.a..b'),
      'entity.key',
      'recursive descent',
    ],
    [
      'an entity with a bad name path',
      (r) => void (entity(r).name = 'label'),
      'entity.name',
      'invalid JSON path',
    ],
    [
      'an entity with an extra key',
      (r) => void (entity(r).label = '$.label'),
      'entity.label',
      'unknown key',
    ],
    [
      'an entity but no entity_id column',
      (_r, t) => void (t.columns = t.columns.filter((c) => c.name !== 'entity_id')),
      'entity',
      'has no entity_id column',
    ],
    [
      'entity_id that is not bigint',
      (_r, t) => void (t.columns[0]!.sqlType = 'integer'),
      'entity',
      'entity_id is integer, not bigint',
    ],
    [
      'entity_id as a key without entity',
      (r) => void (r.entity = null),
      'key_columns[0]',
      'only filled when the pipeline declares an entity',
    ],
    [
      'a NOT NULL entity_id without entity',
      (r) => {
        r.entity = null;
        r.key_columns = ['ts'];
      },
      'entity',
      'entity_id is NOT NULL: declare the entity',
    ],
    // keys, rollups
    ['no key columns', (r) => void (r.key_columns = []), 'key_columns', 'at least one'],
    [
      'an unknown key column',
      (r) => void (r.key_columns = ['entity_id', 'time']),
      'key_columns[1]',
      'has no column "time"',
    ],
    [
      'a key column twice',
      (r) => void (r.key_columns = ['entity_id', 'ts', 'ts']),
      'key_columns[2]',
      'listed twice',
    ],
    [
      'a key column nothing fills',
      (r) => {
        r.transforms = [];
        r.key_columns = ['entity_id', 'ts', 'notional'];
      },
      'key_columns[2]',
      'nothing fills notional',
      'trades',
    ],
    [
      'an unknown rollup column',
      (r) => void (r.rollup_columns = ['temperature', 'temp']),
      'rollup_columns[1]',
      'has no column "temp"',
    ],
    [
      'a rollup column that is text',
      (r) => void (r.rollup_columns = ['side']),
      'rollup_columns[0]',
      'side is text, not numeric',
      'trades',
    ],
    [
      'a rollup column nothing fills',
      (r) => {
        r.transforms = [];
        r.rollup_columns = ['dew_point'];
      },
      'rollup_columns[0]',
      'not a mapped or derived value column',
    ],
    [
      'the time column as a rollup',
      (r) => void (r.rollup_columns = ['ts']),
      'rollup_columns[0]',
      'not a mapped or derived value column',
    ],
    // the rest of the row
    [
      'another target table',
      (r) => void (r.target_table = 'market_trades'),
      'target_table',
      'targets public.market_trades',
    ],
    ['no topics', (r) => void (r.topics = []), 'topics', 'at least one topic'],
    [
      'an unknown late action',
      (r) => void (r.late_action = 'later' as never),
      'late_action',
      'expected accept, drop or dead_letter',
    ],
    ['a negative late_after', (r) => void (r.late_after_s = -1), 'late_after', 'non-negative'],
    [
      'an unknown on_duplicate',
      (r) => void (r.on_duplicate = 'merge' as never),
      'on_duplicate',
      'expected ignore or update',
    ],
  ])('should refuse %s', (_what, edit, key, reason, demo) => {
    const e = failure(edit, demo);
    expect(e.key).toBe(key);
    expect(e.reason).toContain(reason);
  });
});
