/** Prometheus metrics of the engine: requests, latency, errors by code, the plan cache. */
import client from 'prom-client';

export interface EngineMetrics {
  registry: client.Registry;
  requests: client.Counter<'endpoint' | 'status'>;
  latency: client.Histogram<'endpoint'>;
  errors: client.Counter<'endpoint' | 'code'>;
  /** GraphQL queries answered from a cached plan, and those that had to be planned */
  planCache: { hits: client.Counter; misses: client.Counter };
  /** `@cached` queries answered from the store (hits) or run and stored (misses); store failures */
  queryCache: { hits: client.Counter; misses: client.Counter; errors: client.Counter };
  /** requests refused by a limit (limits/), by kind: depth, nodes, batch, rate, time, … */
  limitRefusals: client.Counter<'kind'>;
}

export function createMetrics(): EngineMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  /** A counter without labels, on this registry. */
  const counter = (name: string, help: string) =>
    new client.Counter({ name, help, registers: [registry] });
  return {
    registry,
    requests: new client.Counter({
      name: 'engine_http_requests_total',
      help: 'HTTP requests by endpoint and status',
      labelNames: ['endpoint', 'status'],
      registers: [registry],
    }),
    latency: new client.Histogram({
      name: 'engine_http_request_duration_seconds',
      help: 'HTTP request latency by endpoint',
      labelNames: ['endpoint'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    errors: new client.Counter({
      name: 'engine_errors_total',
      help: 'Errors returned, by endpoint and Hasura error code',
      labelNames: ['endpoint', 'code'],
      registers: [registry],
    }),
    queryCache: {
      hits: counter(
        'engine_query_cache_hits_total',
        '@cached queries answered from the query cache (in-process or Redis)',
      ),
      misses: counter(
        'engine_query_cache_misses_total',
        '@cached queries run against Postgres and stored',
      ),
      errors: counter(
        'engine_query_cache_errors_total',
        'query cache store failures (the query then ran uncached)',
      ),
    },
    planCache: {
      hits: counter(
        'engine_plan_cache_hits_total',
        'GraphQL queries answered from a cached plan (no parsing, validation or translation)',
      ),
      misses: counter(
        'engine_plan_cache_misses_total',
        'GraphQL queries that had to be planned (first of their operation, role and variant)',
      ),
    },
    limitRefusals: new client.Counter({
      name: 'engine_limit_refusals_total',
      help: 'GraphQL requests refused by a limit, by kind (depth, nodes, batch, rate, time, nesting, tokens, input_depth, list_length, input_values)',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
