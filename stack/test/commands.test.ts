/**
 * The commands as the READMEs write them (issue 17): every script answers --help with its usage and
 * exit 0; with a `npm start` running, `migrate`, `metadata` and `produce` find it by themselves;
 * and a data admin's offline route for a new stream works end to end on the running stack, without
 * a restart: table and pipeline row, metadata applied, test messages from a file and from standard
 * input, rows through the GraphQL API the dashboard reads.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, REPO_ROOT, sql } from '@streamsync/database';
import { freePorts } from '../src/ports.ts';
import { startStack, type Stack } from '../src/stack.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run <script> -- args` as a user types it (from the repository root). */
function npm(args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** The npm scripts the top-level README tells people to run, from its shell blocks. */
function documentedScripts(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const scripts = new Set<string>();
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const m of block[1]!.matchAll(/npm (?:run (?:-s )?([\w:-]+)|(start|test)\b)/g)) {
      scripts.add(m[1] ?? m[2]!);
    }
  }
  return [...scripts].sort();
}

describe('Stack > Commands', () => {
  it('should document only scripts that exist, each answering --help with its usage and exit 0', async () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const documented = documentedScripts();
    expect(documented).toEqual(
      expect.arrayContaining(['start', 'test', 'migrate', 'metadata', 'produce']),
    );
    for (const s of documented) expect(Object.keys(pkg.scripts), s).toContain(s);

    // every command a person runs: the documented ones and every bench and tool
    const commands = [
      ...new Set([
        ...documented.filter((s) => s !== 'test' && !s.startsWith('check') && s !== 'format'),
        'produce',
        'migrate',
        'metadata',
        'conformance',
        ...Object.keys(pkg.scripts).filter((s) => s.startsWith('bench:')),
      ]),
    ];
    for (const script of commands) {
      const run = await npm(['run', script, '--', '--help']);
      expect(run.code, `npm run ${script} -- --help: ${run.stderr}`).toBe(0);
      expect(run.stdout, script).toMatch(/usage|npm run/i);
      expect(run.stderr, script).not.toMatch(/npm error/);
    }
  });
});

describe('Stack > Commands > On a running npm start', () => {
  let stack: Stack;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  const output: string[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-commands-'));
    await fs.chmod(dir, 0o755); // the embedded Postgres runs as the postgres user when we are root
    const ports = await freePorts(5);
    port = ports[1]!;
    const stackEnv = {
      ...process.env,
      DATABASE_URL: '',
      KAFKA_BROKERS: '',
      HASURA_GRAPHQL_ADMIN_SECRET: '',
      STREAMSYNC_JWT_KEY: '',
      STREAMSYNC_PG_DATA_DIR: '',
      STREAMSYNC_DATA_DIR: path.join(dir, 'data'),
      STREAMSYNC_PG_PORT: String(ports[0]),
      STREAMSYNC_KAFKA_PORT: '0',
      HASURA_GRAPHQL_SERVER_PORT: String(ports[1]),
      ETL_HTTP_PORT: String(ports[2]),
      ETL_PIPELINE_POLL_MS: '1000',
    };
    stack = await startStack({
      dataDir: path.join(dir, 'data'),
      env: stackEnv,
      services: ['engine', 'worker'],
      log: (l) => output.push(`[stack] ${l}`),
      output: (l) => output.push(l),
    });
    // the commands are told only where the data dir is, as a second terminal would be by default
    env = { ...stackEnv, HASURA_GRAPHQL_ENDPOINT: '' };
  });
  afterAll(async () => {
    await stack?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('should find the running stack without DATABASE_URL, and say how to fix it when there is none', async () => {
    const status = await npm(['run', 'migrate', '--', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^applied {2}\d+_timeseries_partitioning$/m);

    const none = await npm(['run', 'migrate', '--', 'status'], {
      ...env,
      STREAMSYNC_DATA_DIR: path.join(dir, 'elsewhere'),
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      `no running \`npm start\` found (looked for ${path.join(dir, 'elsewhere', 'stack.json')}); start one with \`npm start\``,
    );
  });

  it('should add a stream to the running stack offline and load test messages from a file and from standard input', async () => {
    // 1. the table (the README's migration) and 3. its pipeline row, as `npm run migrate -- up`
    //    and a seed would apply them
    const db = new pg.Client({ connectionString: stack.postgresUrl });
    await db.connect();
    try {
      await query(
        db,
        sql`CREATE TABLE public.air_quality (
        entity_id bigint NOT NULL, ts timestamptz NOT NULL, pm25 double precision,
        pm10 double precision, ingest_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        PRIMARY KEY (entity_id, ts)) PARTITION BY RANGE (ts)`,
      );
      await query(
        db,
        sql`SELECT timeseries.register_table('public.air_quality', 'ts', '1 day', 3, '30 days')`,
      );
      await query(
        db,
        sql`INSERT INTO etl.pipelines (name, topics, target_table, entity, mapping,
          time_field, time_format, key_columns, rollup_columns)
        VALUES ('air_quality', ARRAY['air-quality'], 'air_quality',
          '{"kind": "station", "key": "$.station"}',
          '{"pm25": {"path": "$.pm25", "type": "float8", "required": true},
            "pm10": {"path": "$.pm10", "type": "float8"}}',
          '$.time', 'iso8601', ARRAY['entity_id', 'ts'], ARRAY['pm25', 'pm10'])`,
      );
    } finally {
      await db.end();
    }

    // 2. the API: the README's table metadata beside the project's, applied to the running engine
    const metadata = path.join(dir, 'metadata');
    await fs.cp(path.join(REPO_ROOT, 'hasura', 'metadata'), metadata, { recursive: true });
    const tables = path.join(metadata, 'databases', 'default', 'tables');
    await fs.writeFile(
      path.join(tables, 'public_air_quality.yaml'),
      'table:\n  name: air_quality\n  schema: public\nselect_permissions:\n  - role: viewer\n    permission:\n      columns: [entity_id, ts, pm25, pm10]\n      filter: {}\n',
    );
    await fs.appendFile(path.join(tables, 'tables.yaml'), '- "!include public_air_quality.yaml"\n');
    const applied = await npm(['run', 'metadata', '--', 'apply', '--dir', metadata], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/applied .*: \d+ tables/);

    // test messages: a file, and standard input (one line is not JSON: dead-lettered, not lost)
    const file = path.join(dir, 'msgs.jsonl');
    const t = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    await fs.writeFile(
      file,
      [
        { station: 'st-1', time: t(30), pm25: 12.5, pm10: 20.1 },
        { station: 'st-2', time: t(20), pm25: 8, pm10: 11 },
        { station: 'st-1', time: t(10), pm25: 13 },
      ]
        .map((m) => JSON.stringify(m))
        .join('\n') + '\n',
    );
    const sent = await npm(
      ['run', 'produce', '--', '--stream', 'air_quality', '--file', file],
      env,
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout.trim().split('\n').at(-1)!)).toEqual({
      topic: 'air-quality',
      messages: 3,
      not_json: 0,
    });
    const piped = await npm(
      ['run', 'produce', '--', '--stream', 'air_quality', '--file', '-'],
      env,
      `${JSON.stringify({ station: 'st-3', time: t(5), pm25: 1 })}\nnot json\n`,
    );
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      messages: 2,
      not_json: 1,
    });

    // what the dashboard reads: the API, with the admin secret from the stack's secrets file
    let last = '';
    const count = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hasura-admin-secret': stack.secrets.adminSecret,
        },
        body: JSON.stringify({
          query: '{ air_quality_aggregate { aggregate { count } } }',
        }),
      });
      const body = (await res.json()) as {
        data?: { air_quality_aggregate: { aggregate: { count: number } } };
      };
      last = JSON.stringify(body);
      return body.data?.air_quality_aggregate.aggregate.count;
    };
    let rows: number | undefined;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
      rows = await count();
      if (rows === 4) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(rows, `${last}\n${output.slice(-40).join('\n')}`).toBe(4);
  }, 180_000);
});
