/**
 * The Kafka fuzz corpus: messages for one declared pipeline whose table has a column of every kind
 * the worker loads (text, varchar(32), int4, int8, float8, numeric(12,2) with a CHECK, boolean,
 * jsonb, timestamptz), an entity with a key and a name, and rollups. Good messages — plain ones and
 * hostile-but-valid ones (control characters and odd Unicode in values, keys and text at their
 * limits, extreme finite numbers, JSON nested deep where nothing reads it) — are mixed with every
 * bad kind: NUL and lone surrogates in every string field, control characters in the entity's key
 * and name, keys and text over their limits, numbers out of range, bad and out-of-range times, JSON
 * nested too deep, the wrong type in every field, missing fields, broken framing (not UTF-8, not
 * JSON, not an object, empty, tombstone, oversized) and values only the table's CHECK refuses.
 *
 * Each case says what must become of it: a good one is loaded (its seq and what the checksum
 * covers), a bad one is a dead letter with one of the codes listed.
 */
import { createHash } from 'node:crypto';
import { sql, type SQL } from '@streamsync/database';

export interface KafkaCase {
  kind: string;
  family: 'good' | 'bad';
  key: string | null;
  value: Buffer | null;
  /** bad: the dead-letter codes that describe it correctly */
  codes: string[];
  /** good: what the loaded row must hold */
  row: GoodRow | null;
}

export interface GoodRow {
  seq: number;
  label: string | null;
  note: string | null;
  level: number | null;
  amount: string | null;
}

export interface CaseContext {
  /** entity keys start with it: a run's own */
  prefix: string;
  /** time of seq 0 (ms); a point per ms after it */
  baseMs: number;
  nowMs: number;
  maxMessageBytes: number;
}

/** The fuzz table (in a database of the run's own) and its declaration. */
export function fuzzTableDdl(table: string): SQL {
  return sql`CREATE TABLE ${sql.ident('public', table)} (
      entity_id bigint NOT NULL,
      ts timestamptz NOT NULL,
      seq bigint NOT NULL,
      label text,
      note varchar(32),
      level integer,
      ratio double precision,
      amount numeric(12, 2) CHECK (amount >= 0),
      flag boolean,
      attrs jsonb,
      seen_at timestamptz,
      PRIMARY KEY (entity_id, ts, seq))`;
}

export function fuzzPipelineInsert(name: string, topic: string, table: string): SQL {
  const path = (p: string, required = false) => ({ path: p, ...(required ? { required } : {}) });
  const mapping = {
    seq: path('$.seq', true),
    label: path('$.label'),
    note: path('$.note'),
    level: path('$.level'),
    ratio: path('$.ratio'),
    amount: path('$.amount'),
    flag: path('$.flag'),
    attrs: path('$.attrs'),
    seen_at: path('$.seen_at'),
  };
  return sql`INSERT INTO etl.pipelines (name, description, topics, target_table, entity, mapping,
                                     time_field, time_format, key_columns, rollup_columns)
      VALUES (${sql.value(name)}, 'the Kafka fuzz campaign', ${sql.value([topic], 'text[]')},
              ${sql.value(table)},
              ${sql.value(JSON.stringify({ kind: 'fuzz', key: '$.device', name: '$.name' }))}::jsonb,
              ${sql.value(JSON.stringify(mapping))}::jsonb, '$.time', 'iso8601',
              ARRAY['entity_id', 'ts', 'seq'], ARRAY['ratio', 'level'])`;
}

/** The checksum SQL computes over the loaded rows, from the good rows. */
export function checksumOf(rows: GoodRow[]): string {
  const lines = [...rows]
    .sort((a, b) => a.seq - b.seq)
    .map((r) => [r.seq, r.label ?? '∅', r.note ?? '∅', r.level ?? '∅', r.amount ?? '∅'].join('|'));
  return createHash('md5').update(lines.join('\n'), 'utf8').digest('hex');
}

export function checksumSql(table: string): SQL {
  return sql`SELECT count(*)::int AS rows, count(DISTINCT seq)::int AS distinct_seq,
                    coalesce(md5(string_agg(concat_ws('|', seq, coalesce(label, '∅'),
                      coalesce(note, '∅'), coalesce(level::text, '∅'), coalesce(amount::text, '∅')),
                      E'\n' ORDER BY seq)), md5('')) AS checksum
               FROM ${sql.ident('public', table)}`;
}

type Random = () => number;

const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const WORDS = ['alpha', 'beta', 'gamma', 'Grüße', 'naïve', 'Ωmega', '東京', 'données', 'ok'];
// valid but awkward text: emoji, RTL, zero-width, combining marks, a BOM, C0/C1 controls
const ODD_TEXT = [
  'emoji 😀🎉👩‍👩‍👧',
  'rtl \u202eevil\u202c שלום مرحبا',
  'zero\u200bwidth\u200d',
  'e\u0301\u0301\u0301 combining',
  '\ufeffbom',
  'bell\u0007 esc\u001b[31mred\u001b[0m tab\tnl\ncr\r',
  'c1 \u0085\u009f',
  '<script>alert(1)</script>',
  "'; DROP TABLE x; --",
  '\\u0000 (the six characters, not NUL)',
];
// the same without control characters: names may not hold them
const ODD_NAMES = [
  ODD_TEXT[0]!,
  ODD_TEXT[1]!,
  ODD_TEXT[2]!,
  ODD_TEXT[3]!,
  ODD_TEXT[7]!,
  ODD_TEXT[8]!,
];
// strings no column may hold: NUL, lone surrogates
const NUL = ['\u0000', 'a\u0000b', 'trailing\u0000'];
const SURROGATE = ['\ud800', 'x\udbff', '\udc00y', 'pair then lone 😀\ud83d'];
const CONTROL = ['tab\there', 'nl\nhere', 'esc\u001b', 'del\u007f', 'c1\u0085'];

function deepArray(depth: number, leaf: string): string {
  return '['.repeat(depth) + leaf + ']'.repeat(depth);
}

function deepObject(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = { d: v };
  return v;
}

/** A good message's fields for `seq`. */
function goodFields(r: Random, seq: number, ctx: CaseContext): Record<string, unknown> {
  const label = r() < 0.1 ? null : `${pick(r, WORDS)} ${seq}`;
  const note = r() < 0.3 ? null : pick(r, WORDS).slice(0, 32);
  return {
    device: `${ctx.prefix}-d${seq % 17}`,
    name: `Device ${seq % 17}`,
    time: new Date(ctx.baseMs + seq).toISOString(),
    seq,
    label,
    note,
    level: int(r, -1000, 1000),
    ratio: Math.round(r() * 1e6) / 1e3,
    amount: `${int(r, 0, 99_999)}.${String(int(r, 0, 99)).padStart(2, '0')}`,
    flag: r() < 0.5,
    attrs:
      r() < 0.2
        ? null
        : { site: pick(r, WORDS), tags: [pick(r, WORDS), seq], depth: { a: { b: 1 } } },
    seen_at: new Date(ctx.baseMs - int(r, 0, 1e6)).toISOString(),
  };
}

const rowOf = (f: Record<string, unknown>): GoodRow => ({
  seq: f.seq as number,
  label: (f.label as string | null) ?? null,
  note: (f.note as string | null) ?? null,
  level: (f.level as number | null) ?? null,
  amount: (f.amount as string | null) ?? null,
});

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

type Maker = (r: Random, seq: number, ctx: CaseContext) => KafkaCase;

function good(kind: string, edit: (f: Record<string, unknown>, r: Random) => void): Maker {
  return (r, seq, ctx) => {
    const f = goodFields(r, seq, ctx);
    edit(f, r);
    return {
      kind,
      family: 'good',
      key: String(f.device),
      value: json(f),
      codes: [],
      row: rowOf(f),
    };
  };
}

/** A good message with one field changed into something the worker must refuse. */
function bad(
  kind: string,
  codes: string[],
  edit: (f: Record<string, unknown>, r: Random) => void,
): Maker {
  return (r, seq, ctx) => {
    const f = goodFields(r, seq, ctx);
    edit(f, r);
    return { kind, family: 'bad', key: 'bad', value: json(f), codes, row: null };
  };
}

function framing(
  kind: string,
  codes: string[],
  value: (r: Random, ctx: CaseContext) => Buffer | null,
): Maker {
  return (r, _seq, ctx) => ({
    kind,
    family: 'bad',
    key: 'bad',
    value: value(r, ctx),
    codes,
    row: null,
  });
}

const INVALID = ['invalid_value'];
const STRING_FIELDS = ['device', 'name', 'label', 'note', 'seen_at', 'amount'] as const;

export const GOOD_MAKERS: Maker[] = [
  good('good', () => {}),
  good('good: odd text in values', (f, r) => {
    f.label = pick(r, ODD_TEXT);
    f.attrs = { odd: pick(r, ODD_TEXT), [pick(r, ODD_TEXT)]: 1 };
  }),
  good('good: unicode entity key and name', (f, r) => {
    f.device = `${f.device as string}-😀-東京`;
    f.name = pick(r, ODD_NAMES);
  }),
  good('good: entity key of 200 characters', (f) => {
    const head = `${f.device as string}-`;
    f.device = head + 'k'.repeat(200 - head.length);
  }),
  good('good: entity key of 200 emoji', (f) => {
    const head = `${f.device as string}-`;
    f.device = head + '😀'.repeat(200 - head.length);
  }),
  good('good: note of 32 characters', (f) => {
    f.note = '😀'.repeat(16) + 'n'.repeat(16);
  }),
  good('good: extreme finite numbers', (f, r) => {
    f.level = pick(r, [2147483647, -2147483648, 0]);
    f.ratio = pick(r, [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -0, 1e-300]);
    f.amount = pick(r, ['9999999999.99', '0.00', '0.01']);
  }),
  good('good: nulls in every optional field', (f) => {
    for (const k of ['label', 'note', 'level', 'ratio', 'amount', 'flag', 'attrs', 'seen_at'])
      f[k] = null;
  }),
  good('good: JSON nested deep where nothing reads it', (f, r) => {
    // written as text below: too deep for JSON.stringify
    f.extra = `__DEEP_${int(r, 1000, 20_000)}__`;
  }),
  good('good: numbers as text and a numeric key', (f) => {
    f.amount = '12.50';
    f.name = 42;
  }),
];

export const BAD_MAKERS: Maker[] = [
  // NUL and lone surrogates in every string field
  ...STRING_FIELDS.flatMap((field) => [
    bad(
      `NUL in ${field}`,
      INVALID,
      (f, r) => (f[field] = `${String(f[field] ?? '1')}${pick(r, NUL)}`),
    ),
    bad(
      `lone surrogate in ${field}`,
      INVALID,
      (f, r) => (f[field] = `${String(f[field] ?? '1')}${pick(r, SURROGATE)}`),
    ),
  ]),
  bad('NUL in time', ['invalid_time'], (f, r) => (f.time = `${f.time as string}${pick(r, NUL)}`)),
  bad(
    'lone surrogate in time',
    ['invalid_time'],
    (f, r) => (f.time = `${f.time as string}${pick(r, SURROGATE)}`),
  ),
  bad('NUL in seq', INVALID, (f) => (f.seq = `${f.seq as number}\u0000`)),
  bad('NUL in a jsonb string', INVALID, (f, r) => (f.attrs = { a: [1, { b: pick(r, NUL) }] })),
  bad('NUL in a jsonb key', INVALID, (f) => (f.attrs = { ['k\u0000']: 1 })),
  bad('lone surrogate in a jsonb string', INVALID, (f, r) => (f.attrs = { a: pick(r, SURROGATE) })),
  bad('lone surrogate in a jsonb key', INVALID, (f, r) => (f.attrs = { [pick(r, SURROGATE)]: 1 })),
  // control characters where they name something
  bad(
    'control character in the entity key',
    INVALID,
    (f, r) => (f.device = `${f.device as string}${pick(r, CONTROL)}`),
  ),
  bad('control character in the entity name', INVALID, (f, r) => (f.name = pick(r, CONTROL))),
  // limits
  bad('entity key of 201 characters', INVALID, (f) => (f.device = 'k'.repeat(201))),
  bad('entity key of 201 emoji', INVALID, (f) => (f.device = '😀'.repeat(201))),
  bad('empty entity key', INVALID, (f) => (f.device = '')),
  bad('note of 33 characters', INVALID, (f) => (f.note = 'n'.repeat(33))),
  // numbers
  bad(
    'int4 out of range',
    INVALID,
    (f, r) => (f.level = pick(r, [2147483648, -2147483649, 1e300])),
  ),
  bad('int4 not an integer', INVALID, (f) => (f.level = 1.5)),
  bad('int8 out of range', INVALID, (f, r) => (f.seq = pick(r, [1e19, -1e19, 2 ** 64]))),
  bad(
    'numeric out of range for (12,2)',
    INVALID,
    (f, r) => (f.amount = pick(r, ['1e10', '12345678901', '99999999999.99'])),
  ),
  bad(
    'not a number',
    INVALID,
    (f, r) => (f.amount = pick(r, ['NaN', 'Infinity', '1.2.3', '0x10', ''])),
  ),
  bad(
    'negative amount (the CHECK)',
    ['rejected_by_database'],
    (f, r) => (f.amount = pick(r, ['-1.00', '-0.01', '-9999999999.99'])),
  ),
  // times
  bad(
    'impossible time',
    ['invalid_time'],
    (f, r) =>
      (f.time = pick(r, [
        '2025-02-30T00:00:00Z',
        '2025-13-01T00:00:00Z',
        '2025-11-26T25:00:00Z',
        '2025-11-26T10:00:00+25:00',
        '',
        'yesterday',
      ])),
  ),
  bad('time without a zone', ['invalid_time'], (f) => (f.time = '2025-11-26T10:00:00')),
  bad(
    'time of the wrong type',
    ['invalid_time'],
    (f, r) => (f.time = pick(r, [1764230400, true, { at: 1 }, [1]])),
  ),
  bad(
    'time far ahead',
    ['out_of_range'],
    (f, r) => (f.time = pick(r, ['9999-12-31T23:59:59Z', '3000-01-01T00:00:00Z'])),
  ),
  bad(
    'time before 1970',
    ['out_of_range'],
    (f, r) => (f.time = pick(r, ['1969-07-20T20:17:00Z', '0001-01-01T00:00:00Z'])),
  ),
  bad('null time', ['missing_field'], (f) => (f.time = null)),
  bad('timestamptz value impossible', INVALID, (f) => (f.seen_at = '2025-02-30T00:00:00Z')),
  // deep JSON where it is read
  bad('jsonb nested too deep', INVALID, (f, r) => (f.attrs = deepObject(int(r, 65, 300)))),
  // the wrong type in every field
  bad(
    'entity key of the wrong type',
    INVALID,
    (f, r) => (f.device = pick(r, [{}, [], true, { id: 1 }])),
  ),
  bad('entity name of the wrong type', INVALID, (f, r) => (f.name = pick(r, [{}, ['n'], true]))),
  bad('seq of the wrong type', INVALID, (f, r) => (f.seq = pick(r, ['abc', true, {}, [1]]))),
  bad('label of the wrong type', INVALID, (f, r) => (f.label = pick(r, [{}, ['a']]))),
  bad('note of the wrong type', INVALID, (f, r) => (f.note = pick(r, [{}, ['a']]))),
  bad('level of the wrong type', INVALID, (f, r) => (f.level = pick(r, ['x', true, {}, []]))),
  bad('ratio of the wrong type', INVALID, (f, r) => (f.ratio = pick(r, ['x', true, {}, []]))),
  bad('amount of the wrong type', INVALID, (f, r) => (f.amount = pick(r, [{}, [], true]))),
  bad('flag of the wrong type', INVALID, (f, r) => (f.flag = pick(r, ['yes', 2, {}, 'TRUE']))),
  bad('seen_at of the wrong type', INVALID, (f, r) => (f.seen_at = pick(r, [5, true, {}, []]))),
  // missing
  bad('missing seq', ['missing_field'], (f) => delete f.seq),
  bad('missing entity key', ['missing_field'], (f) => delete f.device),
  bad('missing time', ['missing_field'], (f) => delete f.time),
  // framing
  framing('not UTF-8', ['undecodable'], (r) =>
    Buffer.concat([
      Buffer.from('{"device":"'),
      Buffer.from(pick(r, [[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80]])),
      Buffer.from('"}'),
    ]),
  ),
  framing('truncated JSON', ['invalid_json'], (r) =>
    Buffer.from('{"device":"x","time":"2026-'.slice(0, int(r, 1, 25))),
  ),
  framing('not JSON', ['invalid_json'], (r) =>
    Buffer.from(pick(r, ['hello', "{'a':1}", '{"a":1,}', 'NaN', '{"a":1e999e}'])),
  ),
  framing('JSON that is not an object', ['not_an_object'], (r) =>
    Buffer.from(pick(r, ['[1,2]', '"s"', '42', 'null', 'true'])),
  ),
  framing('empty message', ['invalid_json'], () => Buffer.alloc(0)),
  framing('tombstone', ['invalid_json'], () => null),
  framing('oversized', ['oversized'], (r, ctx) =>
    json({ pad: 'x'.repeat(ctx.maxMessageBytes + int(r, 1, 5000)) }),
  ),
  framing('deep JSON past the size limit', ['oversized'], (_r, ctx) =>
    Buffer.from(deepArray(ctx.maxMessageBytes, '1')),
  ),
];

/** The value of a case with its deep placeholder expanded (JSON.stringify cannot nest that deep). */
function expandDeep(c: KafkaCase): KafkaCase {
  if (!c.value) return c;
  const text = c.value.toString('utf8');
  const m = /"__DEEP_(\d+)__"/.exec(text);
  if (!m) return c;
  return { ...c, value: Buffer.from(text.replace(m[0], deepArray(Number(m[1]), '"leaf"'))) };
}

/**
 * Case number `n` of a run: good with probability 1 - badRatio (its seq is n, unique), otherwise a
 * bad kind in turn, so every kind appears once the run has BAD_MAKERS.length bad cases.
 */
export function generateCase(
  r: Random,
  n: number,
  ctx: CaseContext,
  badRatio: number,
  badSoFar: number,
): KafkaCase {
  if (r() >= badRatio) {
    const maker = r() < 0.5 ? GOOD_MAKERS[0]! : pick(r, GOOD_MAKERS);
    return expandDeep(maker(r, n, ctx));
  }
  return BAD_MAKERS[badSoFar % BAD_MAKERS.length]!(r, n, ctx);
}
