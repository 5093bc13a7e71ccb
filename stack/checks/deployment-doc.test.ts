/**
 * docs/deployment.md cannot rot: every environment variable it names is one our code reads (the
 * worker, the producer, the engine, the web app, the database settings) or one the compose file
 * sets or substitutes (Hasura's own, the image variables, deploy/scale.env's); every metric it
 * names is one a service registers; every endpoint path it names is served by something in the
 * repository. The last block shows each check failing on a made-up name.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { namesReadBy, sourceFiles, stripComments } from './env-names.ts';

const DOC = path.join(REPO_ROOT, 'docs', 'deployment.md');
const CODE_DIRS = ['etl-worker/src', 'engine/src', 'web', 'database/src'].map((d) =>
  path.join(REPO_ROOT, d),
);

/** Names that look like environment variables: upper case with at least one underscore. */
function envNamesIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)].map((m) => m[0]));
}

/** Every variable the compose file hands a service or substitutes, and deploy/scale.env's. */
function composeNames(): Set<string> {
  const text = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  const doc = YAML.parse(text, { merge: true }) as {
    services: Record<string, { environment?: Record<string, unknown> }>;
  };
  const names = new Set<string>();
  for (const svc of Object.values(doc.services))
    for (const k of Object.keys(svc.environment ?? {})) names.add(k);
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  const scaleEnv = readFileSync(path.join(REPO_ROOT, 'deploy', 'scale.env'), 'utf8');
  for (const m of scaleEnv.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)) names.add(m[1]!);
  return names;
}

const codeFiles = CODE_DIRS.flatMap((d) => sourceFiles(d));
const codeReads = namesReadBy(codeFiles);
const known = new Set([...codeReads, ...composeNames()]);

/** The metric names the services register (string literals of a metric's `name`). */
const codeText = codeFiles.map((f) => stripComments(readFileSync(f, 'utf8'))).join('\n');
const registered = new Set(
  [...codeText.matchAll(/['"`]((?:etl|engine|producer)_[a-z0-9_]+)['"`]/g)].map((m) => m[1]!),
);

/** A metric a doc names, less the suffixes Prometheus adds to a histogram's series. */
function metricNamesIn(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/`((?:etl|engine|producer)_[a-z0-9_]+)`/g)].map((m) =>
      m[1]!.replace(/_(bucket|sum|count)$/, ''),
    ),
  );
}

/** HTTP paths a doc names in backticks (`/healthz`, `GET :9464/readyz`, `/v1/graphql`). */
function pathsIn(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/`(?:GET )?(?::\d+)?(\/[a-z0-9_/-]*[a-z0-9_])(?:\?[^`]*)?`/g))
    out.add(m[1]!);
  return out;
}

const servedText = [
  codeText,
  readFileSync(path.join(REPO_ROOT, 'deploy', 'haproxy', 'haproxy.cfg'), 'utf8'),
].join('\n');

function unknownEnvNames(text: string): string[] {
  return [...envNamesIn(text)].filter((n) => !known.has(n)).sort();
}
function unknownMetrics(text: string): string[] {
  return [...metricNamesIn(text)].filter((n) => !registered.has(n)).sort();
}
function unservedPaths(text: string): string[] {
  // a route file (web/app/api/x/route.ts serves /api/x) or a literal in code or haproxy.cfg
  return [...pathsIn(text)]
    .filter((p) => !servedText.includes(`'${p}'`) && !servedText.includes(` ${p}`))
    .filter((p) => !codeFiles.some((f) => f.endsWith(path.join('web', 'app', p, 'route.ts'))))
    .sort();
}

const doc = readFileSync(DOC, 'utf8');

describe('docs/deployment.md', () => {
  it('should name only environment variables the code or the compose file knows', () => {
    expect(envNamesIn(doc).size).toBeGreaterThan(30);
    expect(unknownEnvNames(doc)).toEqual([]);
  });

  it('should name only metrics a service registers', () => {
    expect(metricNamesIn(doc).size).toBeGreaterThan(10);
    expect(unknownMetrics(doc)).toEqual([]);
  });

  it('should name only endpoints something serves', () => {
    expect([...pathsIn(doc)]).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/api/healthz', '/lb/healthz']),
    );
    expect(unservedPaths(doc)).toEqual([]);
  });

  it('should give every part the settings its code requires', () => {
    // what each service cannot start without (or, for Hasura, the metadata's from_env)
    for (const name of [
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'STREAMSYNC_JWT_KEY',
      'GRAPHQL_URL',
      'PG_DATABASE_URL',
      'HASURA_GRAPHQL_METADATA_DATABASE_URL',
      'STREAMSYNC_WEBHOOK_BASE',
    ])
      expect(doc).toContain(`\`${name}\``);
  });

  it('should catch a made-up variable, metric and endpoint', () => {
    const bad = '`ETL_NO_SUCH_SETTING`, `etl_no_such_metric_total`, `GET :9464/nope`';
    expect(unknownEnvNames(bad)).toEqual(['ETL_NO_SUCH_SETTING']);
    expect(unknownMetrics(bad)).toEqual(['etl_no_such_metric_total']);
    expect(unservedPaths(bad)).toEqual(['/nope']);
    // and recognise the real ones in the same shapes
    expect(unknownEnvNames('`ETL_GROUP_ID`')).toEqual([]);
    expect(unknownMetrics('`etl_batch_duration_seconds_bucket`')).toEqual([]);
    expect(unservedPaths('`GET :3000/api/healthz`')).toEqual([]);
  });
});
