import { buildSchema, graphql, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  cacheTtl,
  mergeQueries,
  QueryBatcher,
  requestSizes,
  splitResult,
  type RunQuery,
} from './batch';
import {
  BUCKETS_CACHE_TTL_S,
  bucketsQuery,
  bucketsVariables,
  rawRangeQuery,
} from './panel-documents';
import type { DiscoveredStream } from './schema-discovery';

const sensors = {
  name: 'sensor_readings',
  timeField: 'ts',
  timeScalar: 'timestamptz',
  entityField: 'entity_id',
  entityScalar: 'bigint',
} as DiscoveredStream;

// A GraphQL server in miniature: each field answers with its arguments, so a wrong variable
// (a name mixed up between two merged queries) shows in the answer.
const schema = buildSchema(`
  directive @cached(ttl: Int, refresh: Boolean) on QUERY
  scalar timestamptz
  scalar bigint
  scalar interval
  input ts_cmp { _gte: timestamptz, _lte: timestamptz }
  input id_cmp { _in: [bigint!] }
  input where { ts: ts_cmp, entity_id: id_cmp }
  enum order { asc desc }
  input by { ts: order }
  input bucket_args { stream: String!, entity_id: bigint!, metric: String!, from_ts: timestamptz!, to_ts: timestamptz!, bucket_width: interval! }
  type Row { ts: String, entity_id: String, temperature: Float }
  type Bucket { bucket: String, count: Int, min: Float, max: Float, sum: Float, last: Float }
  type Query {
    sensor_readings(where: where, order_by: by, limit: Int): [Row!]!
    bucketed_series(args: bucket_args!): [Bucket!]!
  }
`);
const root = {
  sensor_readings: (a: {
    where: { ts: { _gte: string }; entity_id: { _in: string[] } };
    limit: number;
  }) =>
    a.where.entity_id._in.map((e) => ({ ts: a.where.ts._gte, entity_id: e, temperature: a.limit })),
  bucketed_series: ({ args }: { args: { entity_id: string; metric: string; from_ts: string } }) => [
    { bucket: args.from_ts, count: Number(args.entity_id), last: args.metric.length },
  ],
};
const requests: string[] = [];
const run: RunQuery = async (document, variables) => {
  requests.push(document);
  const res = await graphql({
    schema,
    source: document,
    variableValues: variables,
    rootValue: root,
  });
  return res.errors?.length
    ? { error: { message: res.errors.map((e) => e.message).join('; ') } }
    : { data: res.data as Record<string, unknown> };
};

const raw = rawRangeQuery(sensors, ['ts', 'entity_id', 'temperature'], true);
const series = [
  { alias: 's0', entity: '7', metric: 'temperature' },
  { alias: 's1', entity: '8', metric: 'humidity' },
];

describe('Web > batched queries', () => {
  it('should merge queries into one valid operation, each with its own variables and fields', () => {
    const merged = mergeQueries([
      { document: raw, variables: { from: 'a', to: 'b', limit: 5, entities: ['1'] } },
      { document: raw, variables: { from: 'c', to: 'd', limit: 6, entities: ['2'] } },
    ]);
    expect(() => parse(merged.document)).not.toThrow();
    expect(merged.document).toContain('b0_rows: sensor_readings');
    expect(merged.document).toContain('b1_rows: sensor_readings');
    expect(merged.variables).toEqual({
      b0_from: 'a',
      b0_to: 'b',
      b0_limit: 5,
      b0_entities: ['1'],
      b1_from: 'c',
      b1_to: 'd',
      b1_limit: 6,
      b1_entities: ['2'],
    });
    expect(splitResult({ b0_rows: [1], b1_rows: [2], b10_rows: [3] }, 1)).toEqual({ rows: [2] });
  });

  it('should answer queries of one task with one request per kind, each caller its own data', async () => {
    requests.length = 0;
    const batcher = new QueryBatcher(run);
    const [a, b, c] = await Promise.all([
      batcher.query(raw, { from: 'x', to: 'y', limit: 5, entities: ['1', '2'] }),
      batcher.query(raw, { from: 'z', to: 'y', limit: 6, entities: ['3'] }),
      batcher.query(bucketsQuery(series), {
        stream: 'sensor_readings',
        from: 'f',
        to: 't',
        width: '1 minute',
        ...bucketsVariables(series),
      }),
    ]);
    // the raw reads in one request, the cached bucket read in another that stays cacheable
    expect(requests).toHaveLength(2);
    expect(requests.map((r) => cacheTtl(r))).toEqual([BUCKETS_CACHE_TTL_S, null]);
    expect(a).toEqual({
      rows: [
        { ts: 'x', entity_id: '1', temperature: 5 },
        { ts: 'x', entity_id: '2', temperature: 5 },
      ],
    });
    expect(b).toEqual({ rows: [{ ts: 'z', entity_id: '3', temperature: 6 }] });
    expect(c).toEqual({
      s0: [{ bucket: 'f', count: 7, min: null, max: null, sum: null, last: 11 }],
      s1: [{ bucket: 'f', count: 8, min: null, max: null, sum: null, last: 8 }],
    });
  });

  it('should keep @cached on a merged operation only when every query is cached, with the least ttl', () => {
    const buckets = bucketsQuery(series);
    const shorter = buckets.replace(`@cached(ttl: ${BUCKETS_CACHE_TTL_S})`, '@cached(ttl: 5)');
    const vars = {
      stream: 's',
      from: 'f',
      to: 't',
      width: '1 minute',
      ...bucketsVariables(series),
    };
    const both = mergeQueries([
      { document: buckets, variables: vars },
      { document: shorter, variables: vars },
    ]);
    expect(cacheTtl(both.document)).toBe(5);
    const mixed = mergeQueries([
      { document: buckets, variables: vars },
      { document: raw, variables: { from: 'x', to: 'y', limit: 1, entities: [] } },
    ]);
    expect(cacheTtl(mixed.document)).toBeNull();
    // Hasura's default ttl when the directive has none
    expect(cacheTtl('query Q @cached { a }')).toBe(60);
    expect(cacheTtl(raw)).toBeNull();
  });

  it('should spread many queries over the requests a browser sends at once, a few to each', () => {
    expect(requestSizes(1)).toEqual([1]);
    expect(requestSizes(7)).toEqual([7]);
    expect(requestSizes(12)).toEqual([4, 4, 4]);
    expect(requestSizes(26)).toEqual([5, 5, 4, 4, 4, 4]);
    expect(requestSizes(100).reduce((a, b) => a + b)).toBe(100);
  });

  it('should give a failing query its own error and the others their data', async () => {
    requests.length = 0;
    const batcher = new QueryBatcher(run);
    const good = batcher.query(raw, { from: 'x', to: 'y', limit: 1, entities: ['1'] });
    const bad = batcher.query('query Bad { no_such_table { id } }', {});
    await expect(good).resolves.toEqual({ rows: [{ ts: 'x', entity_id: '1', temperature: 1 }] });
    await expect(bad).rejects.toThrow(/no_such_table/);
    // the merged request, then each alone
    expect(requests).toHaveLength(3);
  });
});
