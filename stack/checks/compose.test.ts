/**
 * docker-compose.yml, checked statically (Docker cannot run where the tests run): the services and
 * their images, KRaft settings, ports, healthchecks, start order and volumes; Hasura's secrets come
 * from the environment in the required `${VAR:?…}` form and never reach the web app; .env.example
 * names every substituted variable; and every environment variable a service gets is one its code
 * reads, under the same name:
 *
 * - worker, producer: the source files their command loads (the entry file and everything it
 *   imports, through `@streamsync/*` packages too, so database/src/config.ts for DATABASE_URL and
 *   PG_*), scanned for the ways this repository reads the environment;
 * - web: every source file of web/ (Next.js has no single entry file);
 * - hasura: a HASURA_GRAPHQL_* variable that engine/src reads (it reads the names it supports,
 *   under Hasura's names), one of a few the real images read that the engine has no use for, or a
 *   `from_env` name of hasura/metadata;
 * - seed: the libpq variables psql reads.
 *
 * The `scale` profile (three brokers, two workers, two Hasura replicas behind HAProxy, a read
 * replica) is checked the same way, and as it runs: with deploy/scale.env read after .env.example,
 * the cluster-size settings must agree with the brokers there are (3 brokers: replication factor
 * 3, min.insync.replicas 2), and without it nothing of the profile may leak into the default stack.
 *
 * Each check returns the problems it finds; the last blocks feed each one a broken copy of the
 * file, to show that it can fail.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { envNamesRead, namesReadBy, sourceFiles, stripComments } from './env-names.ts';

// ---------------------------------------------------------------------------------------------
// The compose file, as data

type Env = Record<string, string>;

interface Service {
  image?: string;
  profiles?: string[];
  build?: string | { context?: string; target?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: unknown;
  ports?: Array<string | number | { target?: number; published?: number | string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  entrypoint?: string | string[];
  stop_grace_period?: string;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');
const ENV_EXAMPLE_FILE = path.join(REPO_ROOT, '.env.example');
const DOCKERFILE = path.join(REPO_ROOT, 'Dockerfile');

const SCALE_ENV_FILE = path.join(REPO_ROOT, 'deploy', 'scale.env');
const HAPROXY_CONFIG = './deploy/haproxy/haproxy.cfg';

const composeText = readFileSync(COMPOSE_FILE, 'utf8');
// `<<:` merge keys, as compose reads them (the scale profile's services extend the default ones)
const compose = YAML.parse(composeText, { merge: true }) as Compose;
const envExample = parseEnvFile(readFileSync(ENV_EXAMPLE_FILE, 'utf8'));
const scaleEnv = parseEnvFile(readFileSync(SCALE_ENV_FILE, 'utf8'));
/** What compose substitutes with `--env-file .env --env-file deploy/scale.env`: the later wins. */
const scaleVars = { ...envExample, ...scaleEnv };

/** The services every deployment has; `seed` is optional (the demo data). */
const SERVICES = ['postgres', 'kafka', 'hasura', 'worker', 'producer', 'web'];

/** What the scale profile adds: the second and third of what there is one of by default. */
const SCALE_SERVICES = [
  'kafka-2',
  'kafka-3',
  'worker-2',
  'hasura-2',
  'haproxy',
  'postgres-replica',
];

/** The variables whose values are secrets: only ever `${NAME:?…}` in the compose file. */
const SECRET_VARS = [
  'POSTGRES_PASSWORD',
  'HASURA_GRAPHQL_ADMIN_SECRET',
  'STREAMSYNC_JWT_KEY',
  'STREAMSYNC_WEBHOOK_SECRET',
];

function environment(svc: Service | undefined): Env {
  const out: Env = {};
  const env = svc?.environment;
  if (Array.isArray(env)) {
    for (const item of env) {
      const i = item.indexOf('=');
      out[i < 0 ? item : item.slice(0, i)] = i < 0 ? '' : item.slice(i + 1);
    }
  } else if (env) {
    for (const [k, v] of Object.entries(env)) out[k] = v === null ? '' : String(v);
  }
  return out;
}

function dependsOn(svc: Service | undefined): Record<string, string> {
  const deps = svc?.depends_on;
  if (!deps) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(
    Object.entries(deps).map(([d, v]) => [d, v?.condition ?? 'service_started']),
  );
}

interface Port {
  ip: string | undefined;
  published: string | undefined;
  target: number;
}

function ports(svc: Service | undefined): Port[] {
  return (svc?.ports ?? []).map((p) => {
    if (typeof p === 'object') {
      return {
        ip: undefined,
        published: p.published === undefined ? undefined : String(p.published),
        target: Number(p.target),
      };
    }
    // [ip:][published:]target[/protocol]; the published part may be a ${…} substitution
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .match(/(\$\{[^}]*\}|[^:]+)/g) ?? [''];
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? parts.at(-2) : undefined;
    const ip = parts.length >= 3 ? parts.at(-3) : undefined;
    return { ip, published, target };
  });
}

interface Mount {
  source: string;
  target: string;
  bind: boolean;
}

function mounts(svc: Service | undefined): Mount[] {
  return (svc?.volumes ?? []).map((v) => {
    if (typeof v === 'object') {
      return { source: v.source ?? '', target: v.target ?? '', bind: v.type === 'bind' };
    }
    const [source = '', target = ''] = v.split(':');
    return { source, target, bind: /^[./~]/.test(source) };
  });
}

function commandArgs(svc: Service | undefined): string[] {
  const c = svc?.command;
  if (c === undefined) return [];
  return Array.isArray(c) ? c : c.split(/\s+/).filter(Boolean);
}

function healthTest(svc: Service | undefined): string[] {
  const t = svc?.healthcheck?.test;
  if (t === undefined) return [];
  return Array.isArray(t) ? t : ['CMD-SHELL', t];
}

/** One-shot services run to completion (`restart: 'no'`); every other one is long-running. */
function isOneShot(svc: Service | undefined): boolean {
  return svc?.restart === 'no';
}

/** The services of a kind, by image (Kafka brokers, Hasura replicas) or build target (workers). */
function servicesWhere(c: Compose, test: (svc: Service, name: string) => boolean): string[] {
  return Object.entries(c.services)
    .filter(([name, svc]) => test(svc, name))
    .map(([name]) => name);
}
const isKafka = (svc: Service) => /^apache\/kafka:/.test(svc.image ?? '');
const isHasura = (svc: Service) => /^hasura\/graphql-engine:/.test(svc.image ?? '');
const runsEntry = (file: string) => (svc: Service) => commandArgs(svc).at(-1) === file;
const isWorker = runsEntry('etl-worker/src/main.ts');

/** The services `docker compose` starts with these profiles active. */
function activeIn(c: Compose, profiles: string[]): Compose {
  const services = Object.fromEntries(
    Object.entries(c.services).filter(
      ([, svc]) => !svc.profiles || svc.profiles.some((p) => profiles.includes(p)),
    ),
  );
  return { ...c, services };
}

// ---------------------------------------------------------------------------------------------
// Compose variable substitution

interface Substitution {
  name: string;
  /** '', ':-', '-', ':?', '?', ':+', '+' */
  op: string;
  arg: string;
}

/** Every `${NAME…}` in a text (not the `$${…}` escape, which compose leaves as a literal `${…}`). */
function substitutions(text: string): Substitution[] {
  const out: Substitution[] = [];
  const re = /(\$*)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g;
  for (const m of text.matchAll(re)) {
    if ((m[1] ?? '').length % 2 === 1) continue; // $${…}: escaped
    out.push({ name: m[2]!, op: m[3] ?? '', arg: m[4] ?? '' });
  }
  return out;
}

/** What compose makes of a value, given the variables of an .env file. */
function interpolate(value: string, vars: Env): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, name?: string, op?: string, arg?: string, bare?: string) => {
      if (all === '$$') return '$';
      const key = (name ?? bare)!;
      const v = vars[key];
      const set = v !== undefined;
      const nonEmpty = set && v !== '';
      switch (op) {
        case ':-':
          return nonEmpty ? v : (arg ?? '');
        case '-':
          return set ? v : (arg ?? '');
        case ':?':
        case '?':
          if (op === ':?' ? !nonEmpty : !set) throw new Error(`${key}: ${arg}`);
          return v!;
        case ':+':
          return nonEmpty ? (arg ?? '') : '';
        case '+':
          return set ? (arg ?? '') : '';
        default:
          return v ?? '';
      }
    },
  );
}

/** A service's environment as compose hands it over, given the variables of the env files. */
function interpolated(env: Env, vars: Env): Env {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v, vars)]));
}

function parseEnvFile(text: string): Env {
  const out: Env = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** The workspace packages: name → folder and `exports`. */
function workspacePackages(): Map<string, { dir: string; exports: Record<string, string> }> {
  const root = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  const out = new Map<string, { dir: string; exports: Record<string, string> }>();
  for (const ws of root.workspaces) {
    const dir = path.join(REPO_ROOT, ws);
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; exports?: unknown };
    const exports: Record<string, string> = {};
    if (typeof pkg.exports === 'string') exports['.'] = pkg.exports;
    else if (pkg.exports && typeof pkg.exports === 'object') {
      for (const [k, v] of Object.entries(pkg.exports as Record<string, unknown>)) {
        const target =
          typeof v === 'string'
            ? v
            : ((v as Record<string, string>)['import'] ?? (v as Record<string, string>)['default']);
        if (target) exports[k] = target;
      }
    }
    out.set(pkg.name, { dir, exports });
  }
  return out;
}

/** The source files a program loads: its entry file and, transitively, what it imports. */
function importClosure(entry: string): string[] {
  const packages = workspacePackages();
  const resolve = (from: string, spec: string): string | undefined => {
    if (spec.startsWith('.')) {
      const p = path.resolve(path.dirname(from), spec);
      const candidates = [p, p.replace(/\.js$/, '.ts'), `${p}.ts`, path.join(p, 'index.ts')];
      return candidates.find((c) => /\.(ts|tsx|mts)$/.test(c) && existsSync(c));
    }
    const m = /^(@[^/]+\/[^/]+|[^@/][^/]*)(\/.*)?$/.exec(spec);
    const pkg = m && packages.get(m[1]!);
    if (!pkg) return undefined; // a dependency from node_modules
    const target = pkg.exports[m[2] ? `.${m[2]}` : '.'];
    return target ? path.resolve(pkg.dir, target) : undefined;
  };
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const code = stripComments(readFileSync(file, 'utf8'));
    const specs = [
      ...code.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g),
      ...code.matchAll(/\bimport\s*\(?\s*['"]([^'"]+)['"]/g),
    ].map((m) => m[1]!);
    for (const spec of specs) {
      const dep = resolve(file, spec);
      if (dep) queue.push(dep);
    }
  }
  return [...seen].sort();
}

/** The TypeScript entry file of a node service's command (`node --import tsx <entry>`). */
function entryFile(svc: Service | undefined): string | undefined {
  const arg = commandArgs(svc).find((a) => /\.(ts|mts|js|mjs)$/.test(a));
  return arg === undefined ? undefined : path.resolve(REPO_ROOT, arg);
}

// ---------------------------------------------------------------------------------------------
// Hasura

/**
 * Variables the real Hasura images read that engine/ has no reason to (its other HASURA_GRAPHQL_*
 * names it reads itself, so a misspelt one is caught):
 * - HASURA_GRAPHQL_MIGRATIONS_DIR, HASURA_GRAPHQL_MIGRATIONS_SERVER_PORT,
 *   HASURA_GRAPHQL_MIGRATIONS_SERVER_TIMEOUT: the cli-migrations-v3 entrypoint (where the
 *   migrations are mounted, default /hasura-migrations; the port and the start timeout of the
 *   temporary server that applies them). HASURA_GRAPHQL_METADATA_DIR is read by both.
 * - HASURA_GRAPHQL_ENABLED_LOG_TYPES: graphql-engine's log types (startup, http-log, …); the
 *   engine writes its own JSON logs.
 * - HASURA_GRAPHQL_READ_REPLICA_URLS: below.
 */
const HASURA_IMAGE_ONLY = new Set([
  // Hasura Cloud/Enterprise's read replicas of an env-configured source (the community image
  // ignores it); engine/ reads it where it routes queries to replicas (issue 14.4)
  'HASURA_GRAPHQL_READ_REPLICA_URLS',
  'HASURA_GRAPHQL_MIGRATIONS_DIR',
  'HASURA_GRAPHQL_MIGRATIONS_SERVER_PORT',
  'HASURA_GRAPHQL_MIGRATIONS_SERVER_TIMEOUT',
  'HASURA_GRAPHQL_ENABLED_LOG_TYPES',
]);

/** Where the cli-migrations-v3 image looks for the project when the *_DIR variables are unset. */
const HASURA_DEFAULT_DIRS = {
  migrations: '/hasura-migrations',
  metadata: '/hasura-metadata',
};

/** The `from_env` names of the metadata's database connections (the `default` source's URL). */
function metadataFromEnv(): Set<string> {
  const text = readFileSync(
    path.join(REPO_ROOT, 'hasura', 'metadata', 'databases', 'databases.yaml'),
    'utf8',
  );
  return new Set(
    [...text.matchAll(/from_env:\s*['"]?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!),
  );
}

/**
 * Every environment name hasura/metadata reads: database URLs (`from_env`), and its triggers'
 * webhook URL templates (`{{NAME}}`) and header values (`value_from_env`, `webhook_from_env`).
 */
function metadataEnvNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ya?ml|graphql)$/.test(e.name)) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:^|[\s_])from_env:\s*['"]?([A-Za-z_][A-Za-z0-9_]*)/gm))
          names.add(m[1]!);
        for (const m of text.matchAll(/\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g)) names.add(m[1]!);
      }
    }
  };
  walk(path.join(REPO_ROOT, 'hasura', 'metadata'));
  return names;
}

/** The libpq variables (PostgreSQL docs, "Environment Variables") the seed service's psql uses. */
const LIBPQ_VARS = new Set([
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGPASSWORD',
  'PGSSLMODE',
  'PGAPPNAME',
  'PGCONNECT_TIMEOUT',
  'PGOPTIONS',
]);

// ---------------------------------------------------------------------------------------------
// The checks: each returns the problems it finds

const DATABASE_DIR = path.join(REPO_ROOT, 'database') + path.sep;
const DATABASE_CONFIG = path.join(REPO_ROOT, 'database', 'src', 'config.ts');

/**
 * The names a program reads. database/src/config.ts reads DATABASE_URL, PG_* and
 * STREAMSYNC_PG_* inside `databaseSettings()`: they count only for a program that calls it (the
 * producer imports the package for ConfigError and readInt, and has no database).
 */
function namesReadByProgram(entry: string): Set<string> {
  const files = importClosure(entry);
  const names = namesReadBy(files.filter((f) => f !== DATABASE_CONFIG));
  const callsDatabaseSettings = files.some(
    (f) =>
      !f.startsWith(DATABASE_DIR) &&
      /\bdatabaseSettings\s*\(/.test(stripComments(readFileSync(f, 'utf8'))),
  );
  if (files.includes(DATABASE_CONFIG) && callsDatabaseSettings) {
    for (const n of namesReadBy([DATABASE_CONFIG])) names.add(n);
  }
  return names;
}

function namesReadByService(name: string, c: Compose): Set<string> {
  if (name === 'web') return namesReadBy(sourceFiles(path.join(REPO_ROOT, 'web')));
  const entry = entryFile(c.services[name]);
  return entry ? namesReadByProgram(entry) : new Set();
}

const engineReads = () => namesReadBy(sourceFiles(path.join(REPO_ROOT, 'engine', 'src')));

/** Every variable a service gets is one its code reads, under the same name. */
function envNameProblems(c: Compose): string[] {
  const problems: string[] = [];
  for (const name of new Set(['worker', 'producer', 'web', ...servicesWhere(c, isWorker)])) {
    const svc = c.services[name];
    if (!svc) continue;
    if (name !== 'web') {
      const entry = entryFile(svc);
      if (!entry || !existsSync(entry)) {
        problems.push(`${name}: the command's entry file ${entry ?? '(none)'} does not exist`);
      }
    }
    const read = namesReadByService(name, c);
    for (const key of Object.keys(environment(svc))) {
      if (!read.has(key)) problems.push(`${name}: ${key} is not read by its code`);
    }
  }

  const engine = engineReads();
  const fromEnv = metadataEnvNames();
  for (const name of servicesWhere(c, isHasura)) {
    for (const key of Object.keys(environment(c.services[name]))) {
      if (fromEnv.has(key)) continue; // a name the metadata reads (database URL, webhook template)
      if (!key.startsWith('HASURA_GRAPHQL_')) {
        problems.push(`${name}: ${key} is not a Hasura variable (nor a from_env of the metadata)`);
      } else if (!engine.has(key) && !HASURA_IMAGE_ONLY.has(key)) {
        problems.push(
          `${name}: ${key} is neither read by engine/src nor a known Hasura-image variable`,
        );
      }
    }
  }

  const seed = c.services['seed'];
  if (seed) {
    if (!commandArgs(seed).join(' ').includes('psql'))
      problems.push('seed: its command runs no psql');
    for (const key of Object.keys(environment(seed))) {
      if (!LIBPQ_VARS.has(key)) problems.push(`seed: ${key} is not a libpq variable psql reads`);
    }
  }

  for (const key of Object.keys(environment(c.services['postgres']))) {
    if (!/^(POSTGRES_[A-Z_]+|PGDATA)$/.test(key))
      problems.push(`postgres: ${key} is not a postgres image variable`);
  }
  // the replica's script runs pg_basebackup and psql (libpq) before the image's entrypoint
  for (const key of Object.keys(environment(c.services['postgres-replica']))) {
    if (!/^(POSTGRES_[A-Z_]+|PGDATA)$/.test(key) && !LIBPQ_VARS.has(key))
      problems.push(`postgres-replica: ${key} is neither a postgres image nor a libpq variable`);
  }
  for (const name of servicesWhere(c, isKafka)) {
    for (const key of Object.keys(environment(c.services[name]))) {
      if (!/^(KAFKA_[A-Z0-9_]+|CLUSTER_ID)$/.test(key))
        problems.push(`${name}: ${key} is not an apache/kafka image variable`);
    }
  }
  // HAProxy reads its variables where its configuration names them, "${NAME}"
  const haproxy = c.services['haproxy'];
  if (haproxy) {
    const cfg = mounts(haproxy).find((m) => m.source === HAPROXY_CONFIG);
    const named = cfg ? haproxyConfigVars() : new Set<string>();
    for (const key of Object.keys(environment(haproxy))) {
      if (!named.has(key)) problems.push(`haproxy: ${key} is not named in ${HAPROXY_CONFIG}`);
    }
  }
  return problems;
}

/** The environment variables deploy/haproxy/haproxy.cfg reads: "${NAME}" and `defined(NAME)`. */
function haproxyConfigVars(): Set<string> {
  const text = readFileSync(path.resolve(REPO_ROOT, HAPROXY_CONFIG), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
  return new Set(
    [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|defined\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map(
      (m) => (m[1] ?? m[2])!,
    ),
  );
}

/** Secrets only come from the environment, in the required form, and never reach the web app. */
function secretProblems(c: Compose, text: string): string[] {
  const problems: string[] = [];
  for (const s of substitutions(text)) {
    if (SECRET_VARS.includes(s.name) && s.op !== ':?') {
      problems.push(`\${${s.name}${s.op}${s.arg}} must be the required form \${${s.name}:?…}`);
    }
  }
  for (const [name, svc] of Object.entries(c.services)) {
    for (const [key, value] of Object.entries(environment(svc))) {
      // with every substitution taken out, what is left of a secret must be scaffolding only
      const literal = value.replace(/\$\{[^}]*\}/g, '');
      if (/(SECRET|PASSWORD|JWT_KEY)$/.test(key)) {
        const subs = substitutions(value);
        if (subs.length === 0 || subs.some((s) => !SECRET_VARS.includes(s.name))) {
          problems.push(`${name}: ${key} is not taken from a secret variable`);
        }
        if (literal !== '' && literal !== '{"type":"HS256","key":""}') {
          problems.push(`${name}: ${key} has a literal part ${JSON.stringify(literal)}`);
        }
      }
      const url = /^postgres(ql)?:\/\/([^:@/]*):([^@]*)@/.exec(value);
      if (url && !/^\$\{POSTGRES_PASSWORD:\?[^}]*\}$/.test(url[3]!)) {
        problems.push(`${name}: ${key} has a literal password`);
      }
      // check-secrets only looks at it (deploy/check-secrets.sh) and exits
      const mayHold = isHasura(svc) || name === 'check-secrets';
      if (!mayHold && (key.includes('ADMIN_SECRET') || value.includes('ADMIN_SECRET'))) {
        problems.push(`${name}: gets the admin secret (${key})`);
      }
    }
  }
  if (c.services['web']?.env_file !== undefined) {
    problems.push('web: env_file could hand it any variable of .env, the admin secret included');
  }
  return problems;
}

/** depends_on: the start order, each dependency waited on in a way that means "ready". */
function orderProblems(c: Compose): string[] {
  const problems: string[] = [];
  const hasSeed = c.services['seed'] !== undefined;
  const expected: Record<string, Record<string, string>> = {
    hasura: { postgres: 'service_healthy' },
    worker: {
      postgres: 'service_healthy',
      kafka: 'service_healthy',
      // the worker loads into tables the migrations make: after the seed (which waits for them),
      // or after Hasura has applied them
      ...(hasSeed ? { seed: 'service_completed_successfully' } : { hasura: 'service_healthy' }),
    },
    producer: { kafka: 'service_healthy' },
    web: { hasura: 'service_healthy' },
    ...(hasSeed ? { seed: { hasura: 'service_healthy' } } : {}),
    // the scale profile: the second worker waits for every broker (its topics get all three
    // replicas), the second Hasura for the first (the migrations applied once, not raced), the
    // balancer for every Hasura, the replica for the primary it copies
    'worker-2': {
      postgres: 'service_healthy',
      ...Object.fromEntries(servicesWhere(c, isKafka).map((k) => [k, 'service_healthy'])),
      ...(hasSeed ? { seed: 'service_completed_successfully' } : { hasura: 'service_healthy' }),
    },
    'hasura-2': { postgres: 'service_healthy', hasura: 'service_healthy' },
    haproxy: Object.fromEntries(servicesWhere(c, isHasura).map((h) => [h, 'service_healthy'])),
    'postgres-replica': { postgres: 'service_healthy' },
  };
  for (const [name, deps] of Object.entries(expected)) {
    if (!c.services[name]) continue;
    const actual = dependsOn(c.services[name]);
    for (const [dep, condition] of Object.entries(deps)) {
      if (actual[dep] !== condition) {
        problems.push(
          `${name} must wait for ${dep} (${condition}), not ${actual[dep] ?? 'nothing'}`,
        );
      }
    }
  }
  for (const [name, svc] of Object.entries(c.services)) {
    for (const [dep, condition] of Object.entries(dependsOn(svc))) {
      const target = c.services[dep];
      if (!target) problems.push(`${name} depends on ${dep}, which is not a service`);
      // compose refuses to start a default service that needs one of a profile not enabled
      else if (!svc.profiles && target.profiles)
        problems.push(
          `${name} (every profile) depends on ${dep}, which only the ${target.profiles.join(', ')} profile starts`,
        );
      else if (condition === 'service_healthy' && healthTest(target).length === 0)
        problems.push(`${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      else if (condition === 'service_completed_successfully' && !isOneShot(target))
        problems.push(`${name} waits for ${dep} to complete, but ${dep} is long-running`);
      else if (condition === 'service_started')
        problems.push(`${name} waits only for ${dep} to start, not to be ready`);
    }
  }
  // no cycles: compose could not start them
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, trail: string[]): void => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') {
      problems.push(`dependency cycle: ${[...trail, n].join(' → ')}`);
      return;
    }
    state.set(n, 'visiting');
    for (const d of Object.keys(dependsOn(c.services[n]))) visit(d, [...trail, n]);
    state.set(n, 'done');
  };
  for (const n of Object.keys(c.services)) visit(n, []);
  return problems;
}

/** Named volumes declared and used; bind mounts that exist. */
function volumeProblems(c: Compose): string[] {
  const problems: string[] = [];
  const declared = new Set(Object.keys(c.volumes ?? {}));
  const used = new Set<string>();
  for (const [name, svc] of Object.entries(c.services)) {
    for (const m of mounts(svc)) {
      if (m.bind) {
        if (!existsSync(path.resolve(REPO_ROOT, m.source)))
          problems.push(`${name}: bind mount source ${m.source} does not exist`);
      } else if (m.source) {
        used.add(m.source);
        if (!declared.has(m.source))
          problems.push(`${name}: volume ${m.source} is not declared under volumes:`);
      }
    }
  }
  for (const v of declared) if (!used.has(v)) problems.push(`volume ${v} is declared but unused`);
  return problems;
}

/** .env.example names every variable compose substitutes, and nothing else. */
function envExampleProblems(text: string, example: Env): string[] {
  const problems: string[] = [];
  const substituted = new Set(substitutions(text).map((s) => s.name));
  for (const v of substituted) {
    if (!(v in example)) problems.push(`.env.example does not name ${v}`);
  }
  for (const v of Object.keys(example)) {
    if (!substituted.has(v)) problems.push(`.env.example names ${v}, which compose does not use`);
  }
  return problems;
}

/** `name → port` of a Kafka listener list (`PLAINTEXT://host:9092,…`), with the host. */
function listenerMap(list: string): Map<string, { host: string; port: number }> {
  return new Map(
    list.split(',').map((l) => {
      const m = /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(l.trim());
      return [m?.[1] ?? l, { host: m?.[2] ?? '', port: Number(m?.[3]) }] as const;
    }),
  );
}

const RF_KEYS = [
  'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
  'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
  'KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR',
  'KAFKA_DEFAULT_REPLICATION_FACTOR',
];
const MIN_ISR_KEYS = [
  'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
  'KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR',
  'KAFKA_MIN_INSYNC_REPLICAS',
];

/**
 * The Kafka cluster as compose would start it with these profiles and variables: one quorum that
 * names every broker, replication suited to its size (min(3, brokers) replicas, writes on 2 of 3),
 * and clients that bootstrap from every broker.
 */
function replicationProblems(c: Compose, vars: Env, profiles: string[]): string[] {
  const problems: string[] = [];
  const active = activeIn(c, profiles);
  const brokers = servicesWhere(active, isKafka);
  const rf = Math.min(3, brokers.length);
  const minIsr = rf >= 3 ? 2 : 1;
  const envs = new Map(brokers.map((b) => [b, interpolated(environment(c.services[b]), vars)]));
  const expectedVoters = brokers
    .map((b) => {
      const env = envs.get(b)!;
      const controller = listenerMap(env['KAFKA_LISTENERS'] ?? '').get(
        env['KAFKA_CONTROLLER_LISTENER_NAMES'] ?? '',
      );
      return `${env['KAFKA_NODE_ID']}@${b}:${controller?.port}`;
    })
    .sort();
  const ids = new Set<string>();
  const internal: string[] = [];
  for (const [b, env] of envs) {
    const id = env['KAFKA_NODE_ID'] ?? '';
    if (ids.has(id)) problems.push(`${b}: node id ${id} is taken by another broker`);
    ids.add(id);
    const voters = (env['KAFKA_CONTROLLER_QUORUM_VOTERS'] ?? '').split(',').sort();
    if (voters.join(',') !== expectedVoters.join(','))
      problems.push(`${b}: quorum ${voters.join(',')}, expected ${expectedVoters.join(',')}`);
    for (const k of RF_KEYS)
      if (env[k] !== String(rf)) problems.push(`${b}: ${k} is ${env[k]}, expected ${rf}`);
    for (const k of MIN_ISR_KEYS)
      if (env[k] !== String(minIsr)) problems.push(`${b}: ${k} is ${env[k]}, expected ${minIsr}`);
    if (env['CLUSTER_ID'] !== envs.get(brokers[0]!)?.['CLUSTER_ID'])
      problems.push(`${b}: CLUSTER_ID differs from ${brokers[0]}'s`);
    const advertised = listenerMap(env['KAFKA_ADVERTISED_LISTENERS'] ?? '').get(
      env['KAFKA_INTER_BROKER_LISTENER_NAME'] ?? '',
    );
    if (advertised?.host !== b) problems.push(`${b}: advertises ${advertised?.host} to the others`);
    internal.push(`${b}:${advertised?.port}`);
  }
  const clients = [
    ...servicesWhere(active, isWorker),
    ...servicesWhere(active, runsEntry('etl-worker/src/producer/main.ts')),
  ];
  for (const name of clients) {
    const list = interpolate(environment(c.services[name])['KAFKA_BROKERS'] ?? '', vars);
    if (list.split(',').sort().join(',') !== [...internal].sort().join(','))
      problems.push(
        `${name}: KAFKA_BROKERS is ${list}, expected every broker (${internal.join(',')})`,
      );
  }
  return problems;
}

/** Host ports published twice among the services compose would start. */
function portClashes(c: Compose, vars: Env): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(c.services)) {
    for (const p of ports(svc)) {
      if (p.published === undefined) continue;
      const key = `${interpolate(p.ip ?? '', vars)}:${interpolate(p.published, vars)}`;
      const other = seen.get(key);
      if (other) problems.push(`${name} and ${other} both publish ${key}`);
      seen.set(key, name);
    }
  }
  return problems;
}

/** The container port a URL in a healthcheck command talks to, and its path. */
function healthUrl(svc: Service | undefined): URL | undefined {
  const m = /https?:\/\/[^\s'")]+/.exec(healthTest(svc).join(' '));
  return m ? new URL(m[0]) : undefined;
}

// ---------------------------------------------------------------------------------------------

describe('Compose > services and images', () => {
  it('should parse and define every service', () => {
    expect(compose.services).toBeTypeOf('object');
    for (const name of SERVICES) expect(Object.keys(compose.services)).toContain(name);
    // the default stack is what it was: every default service in every profile, and nothing else
    expect(Object.keys(activeIn(compose, []).services).sort()).toEqual(
      Object.keys(compose.services)
        .filter((n) => !SCALE_SERVICES.includes(n))
        .sort(),
    );
  });

  it('should run Postgres from the postgres image with its data on a named volume', () => {
    const pg = compose.services['postgres'];
    expect(pg?.image).toMatch(/^postgres:1[5-9](\.\d+)?(-[a-z0-9]+)?$/);
    const env = environment(pg);
    expect(env['POSTGRES_DB']).toBe('streamsync');
    expect(env['POSTGRES_USER']).toBeTruthy();
    expect(mounts(pg)).toContainEqual({
      source: 'pgdata',
      target: '/var/lib/postgresql/data',
      bind: false,
    });
    expect(ports(pg).map((p) => p.target)).toContain(5432);
  });

  it('should run apache/kafka 4.x as a single KRaft node', () => {
    const kafka = compose.services['kafka'];
    expect(kafka?.image).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    // as compose gives it without the scale settings
    const env = interpolated(environment(kafka), envExample);
    expect(env['KAFKA_PROCESS_ROLES']?.split(',').sort()).toEqual(['broker', 'controller']);
    const nodeId = env['KAFKA_NODE_ID'];
    expect(nodeId).toMatch(/^\d+$/);

    // listeners: name → port, each with a security protocol
    const listeners = new Map(
      (env['KAFKA_LISTENERS'] ?? '').split(',').map((l) => {
        const m = /^([A-Z_]+):\/\/[^:]*:(\d+)$/.exec(l);
        return [m?.[1] ?? l, Number(m?.[2])] as const;
      }),
    );
    const protocols = new Map(
      (env['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP'] ?? '').split(',').map((p) => {
        const [name = '', proto = ''] = p.split(':');
        return [name, proto] as const;
      }),
    );
    const controller = env['KAFKA_CONTROLLER_LISTENER_NAMES'] ?? '';
    expect(listeners.has(controller)).toBe(true);
    expect(env['KAFKA_CONTROLLER_QUORUM_VOTERS']).toBe(
      `${nodeId}@kafka:${listeners.get(controller)}`,
    );
    expect(listeners.has(env['KAFKA_INTER_BROKER_LISTENER_NAME'] ?? '')).toBe(true);
    for (const name of listeners.keys()) expect(protocols.has(name)).toBe(true);

    // advertised: the compose network on kafka:<port>, the host on the published port
    const advertised = new Map(
      (env['KAFKA_ADVERTISED_LISTENERS'] ?? '').split(',').map((l) => {
        const m = /^([A-Z_]+):\/\/([^:]+):(\d+)$/.exec(l);
        return [m?.[1] ?? l, { host: m?.[2], port: Number(m?.[3]) }] as const;
      }),
    );
    expect(advertised.has(controller)).toBe(false);
    for (const [name, a] of advertised) {
      expect(protocols.has(name)).toBe(true);
      expect(listeners.get(name)).toBe(a.port);
    }
    const internal = advertised.get(env['KAFKA_INTER_BROKER_LISTENER_NAME'] ?? '');
    expect(internal?.host).toBe('kafka');
    for (const svc of ['worker', 'producer']) {
      expect(interpolate(environment(compose.services[svc])['KAFKA_BROKERS'] ?? '', {})).toBe(
        `kafka:${internal?.port}`,
      );
    }
    const external = [...advertised.values()].find((a) => a.host === '127.0.0.1');
    expect(external).toBeDefined();
    expect(ports(kafka)).toContainEqual({
      ip: '127.0.0.1',
      published: String(external?.port),
      target: external?.port,
    });

    // one node: the internal topics can have one replica only
    expect(env['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR']).toBe('1');
    expect(env['KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR']).toBe('1');
    expect(env['KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']).toBe('1');
    expect(env['CLUSTER_ID']).toBeTruthy();
    // the log on the named volume, so topics survive a restart
    expect(mounts(kafka)).toContainEqual({
      source: 'kafkadata',
      target: env['KAFKA_LOG_DIRS'],
      bind: false,
    });
  });

  it('should run Hasura v2 cli-migrations-v3 with hasura/ mounted where the image applies it', () => {
    const hasura = compose.services['hasura'];
    expect(hasura?.image).toMatch(/^hasura\/graphql-engine:v2\.\d+\.\d+\.cli-migrations-v3$/);
    const env = environment(hasura);
    const migrationsDir = env['HASURA_GRAPHQL_MIGRATIONS_DIR'] ?? HASURA_DEFAULT_DIRS.migrations;
    const metadataDir = env['HASURA_GRAPHQL_METADATA_DIR'] ?? HASURA_DEFAULT_DIRS.metadata;
    expect(migrationsDir).toBe(HASURA_DEFAULT_DIRS.migrations);
    expect(metadataDir).toBe(HASURA_DEFAULT_DIRS.metadata);
    const m = mounts(hasura);
    expect(m).toContainEqual({ source: './hasura/migrations', target: migrationsDir, bind: true });
    expect(m).toContainEqual({ source: './hasura/metadata', target: metadataDir, bind: true });
    expect(ports(hasura).map((p) => p.target)).toContain(8080);
  });

  it('should give Hasura its databases, secrets from the environment and the console', () => {
    const env = environment(compose.services['hasura']);
    expect(
      env['HASURA_GRAPHQL_METADATA_DATABASE_URL'] ?? env['HASURA_GRAPHQL_DATABASE_URL'],
    ).toMatch(/^postgres:\/\//);
    // the `default` source's URL, under the name the metadata reads it from
    const fromEnv = metadataFromEnv();
    expect(fromEnv.size).toBeGreaterThan(0);
    for (const v of fromEnv) expect(env[v]).toMatch(/^postgres:\/\//);

    expect(env['HASURA_GRAPHQL_ADMIN_SECRET']).toMatch(
      /^\$\{HASURA_GRAPHQL_ADMIN_SECRET:\?[^}]+\}$/,
    );
    const jwt = env['HASURA_GRAPHQL_JWT_SECRET'] ?? '';
    expect(jwt).toMatch(/\$\{STREAMSYNC_JWT_KEY:\?[^}]+\}/);
    // what Hasura receives: a JSON HS256 configuration with the key the web app signs with
    const effective = JSON.parse(interpolate(jwt, envExample)) as { type: string; key: string };
    expect(effective).toEqual({ type: 'HS256', key: envExample['STREAMSYNC_JWT_KEY'] });
    expect(effective.key.length).toBeGreaterThanOrEqual(32);
    expect(env['HASURA_GRAPHQL_ENABLE_CONSOLE']).toBe('true');
    // the triggers of hasura/metadata reach the worker, with the secret the worker requires
    for (const v of metadataEnvNames()) expect(env[v], v).toBeDefined();
    expect(env['STREAMSYNC_WEBHOOK_BASE']).toBe('http://worker:9464');
    expect(env['STREAMSYNC_WEBHOOK_SECRET']).toMatch(/^\$\{STREAMSYNC_WEBHOOK_SECRET:\?[^}]+\}$/);
    expect(environment(compose.services['worker'])['STREAMSYNC_WEBHOOK_SECRET']).toBe(
      env['STREAMSYNC_WEBHOOK_SECRET'],
    );
  });

  it('should build the worker, producer and web app from the Dockerfile targets', () => {
    const stages = new Set(
      [...readFileSync(DOCKERFILE, 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map(
        (m) => m[1],
      ),
    );
    for (const name of ['worker', 'producer', 'web']) {
      const build = compose.services[name]?.build;
      expect(build, name).toBeTypeOf('object');
      if (typeof build !== 'object') continue;
      expect(path.resolve(REPO_ROOT, build.context ?? '.')).toBe(REPO_ROOT);
      expect(stages.has(build.target ?? '')).toBe(true);
    }
    expect(commandArgs(compose.services['worker']).at(-1)).toBe('etl-worker/src/main.ts');
    expect(commandArgs(compose.services['producer']).at(-1)).toBe(
      'etl-worker/src/producer/main.ts',
    );
  });
});

describe('Compose > ports and healthchecks', () => {
  it('should give every long-running service a healthcheck and a restart policy', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (isOneShot(svc)) continue;
      expect(svc.healthcheck?.disable, name).not.toBe(true);
      expect(healthTest(svc).length, `${name} has no healthcheck`).toBeGreaterThan(1);
      expect(['CMD', 'CMD-SHELL']).toContain(healthTest(svc)[0]);
      expect(svc.restart, name).toMatch(/^(always|unless-stopped|on-failure)/);
    }
  });

  it('should publish every port a service listens on, and check health on it', () => {
    const listening: Record<string, { port: number; path: string; hostKey?: string }> = {
      hasura: { port: 8080, path: '/healthz' },
      worker: {
        port: Number(environment(compose.services['worker'])['ETL_HTTP_PORT']),
        path: '/healthz',
        hostKey: 'ETL_HTTP_HOST',
      },
      producer: {
        port: Number(environment(compose.services['producer'])['PRODUCER_HTTP_PORT']),
        path: '/healthz',
        hostKey: 'PRODUCER_HTTP_HOST',
      },
      web: { port: 3000, path: '/api/healthz' },
    };
    expect(listening['worker']?.port).toBe(9464);
    expect(listening['producer']?.port).toBe(9465);
    for (const [name, l] of Object.entries(listening)) {
      const svc = compose.services[name];
      expect(
        ports(svc).map((p) => p.target),
        name,
      ).toContain(l.port);
      const url = healthUrl(svc);
      expect(url?.hostname, name).toBe('127.0.0.1');
      expect(Number(url?.port), name).toBe(l.port);
      expect(url?.pathname, name).toBe(l.path);
      // reachable from the published port: not only on the container's loopback
      if (l.hostKey) expect(environment(svc)[l.hostKey], name).toBe('0.0.0.0');
    }
    // the web image's command listens where compose publishes
    const webCmd = /^CMD\s+(\[.*\])\s*$/m.exec(
      readFileSync(DOCKERFILE, 'utf8').split(/^FROM\s+\S+\s+AS\s+web\s*$/m)[1] ?? '',
    );
    const args = JSON.parse(webCmd?.[1] ?? '[]') as string[];
    expect(args[args.indexOf('--port') + 1]).toBe('3000');
    expect(args[args.indexOf('--hostname') + 1]).toBe('0.0.0.0');
    // the route the web healthcheck calls exists
    expect(existsSync(path.join(REPO_ROOT, 'web', 'app', 'api', 'healthz', 'route.ts'))).toBe(true);
  });

  it('should check node services with node itself (their image has no curl)', () => {
    for (const name of ['worker', 'producer', 'web']) {
      const t = healthTest(compose.services[name]);
      expect(t.slice(0, 2), name).toEqual(['CMD', 'node']);
    }
  });
});

describe('Compose > start order and volumes', () => {
  it('should start each service after what it needs is healthy', () => {
    expect(orderProblems(compose)).toEqual([]);
  });

  it('should declare every named volume it uses and use every one it declares', () => {
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual([
      'kafkadata',
      'kafkadata2',
      'kafkadata3',
      'pgdata',
      'pgreplica',
    ]);
    expect(volumeProblems(compose)).toEqual([]);
  });

  it('should seed with psql from hasura/seeds/default, stopping at the first error', () => {
    // the demo data is part of this compose file (SERVICES lists what every deployment needs)
    expect(compose.services['seed'], 'docker-compose.yml has a seed service').toBeDefined();
    const seed = compose.services['seed']!;
    const cmd = commandArgs(seed).join(' ');
    expect(cmd).toMatch(/psql .*-v ON_ERROR_STOP=1/);
    const target = mounts(seed).find((m) => m.source === './hasura/seeds/default')?.target;
    expect(target).toBeDefined();
    expect(cmd).toContain(`${target}/`);
    const env = environment(seed);
    const pgEnv = environment(compose.services['postgres']);
    expect(env['PGHOST']).toBe('postgres');
    expect(env['PGDATABASE']).toBe(pgEnv['POSTGRES_DB']);
    expect(env['PGUSER']).toBe(pgEnv['POSTGRES_USER']);
  });
});

describe('Compose > environment', () => {
  it('should give each service only variables its code reads, under the same names', () => {
    expect(envNameProblems(compose)).toEqual([]);
  });

  it('should give the worker and producer the settings they need in a container', () => {
    const worker = environment(compose.services['worker']);
    for (const key of ['DATABASE_URL', 'KAFKA_BROKERS', 'ETL_HTTP_HOST', 'ETL_HTTP_PORT'])
      expect(worker[key], key).toBeTruthy();
    const producer = environment(compose.services['producer']);
    for (const key of ['KAFKA_BROKERS', 'PRODUCER_HTTP_PORT'])
      expect(producer[key], key).toBeTruthy();
  });

  it('should point every database URL at the compose Postgres', () => {
    const pgEnv = environment(compose.services['postgres']);
    const vars = envExample;
    const urls = [
      environment(compose.services['worker'])['DATABASE_URL'],
      ...Object.entries(environment(compose.services['hasura']))
        .filter(([k]) => k.endsWith('DATABASE_URL'))
        .map(([, v]) => v),
    ];
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const raw of urls) {
      const u = new URL(interpolate(raw ?? '', vars));
      expect(u.hostname).toBe('postgres');
      expect(u.port).toBe('5432');
      expect(u.pathname).toBe(`/${pgEnv['POSTGRES_DB']}`);
      expect(u.username).toBe(pgEnv['POSTGRES_USER']);
      expect(decodeURIComponent(u.password)).toBe(
        interpolate(pgEnv['POSTGRES_PASSWORD'] ?? '', vars),
      );
    }
  });

  it('should take secrets from the environment only, and keep the admin secret from the web app', () => {
    expect(secretProblems(compose, composeText)).toEqual([]);
    const web = environment(compose.services['web']);
    expect(Object.keys(web).filter((k) => /ADMIN|ACCESS_KEY/.test(k))).toEqual([]);
    expect(web['STREAMSYNC_JWT_KEY']).toMatch(/^\$\{STREAMSYNC_JWT_KEY:\?[^}]+\}$/);
    expect(interpolate(web['GRAPHQL_URL'] ?? '', {})).toBe('http://hasura:8080/v1/graphql');
  });

  it('should name every substituted variable in .env.example', () => {
    expect(substitutions(composeText).length).toBeGreaterThan(0);
    expect(envExampleProblems(composeText, envExample)).toEqual([]);
    // placeholders, never working secrets
    for (const v of SECRET_VARS) expect(envExample[v], v).toMatch(/change-me/);
  });
});

// ---------------------------------------------------------------------------------------------
// Production-grade (issue 17.6)

const CHECK_SECRETS = path.join(REPO_ROOT, 'deploy', 'check-secrets.sh');

/** Run deploy/check-secrets.sh as the check-secrets service does, with these variables. */
function checkSecrets(vars: Env): { code: number | null; out: string } {
  const r = spawnSync('sh', [CHECK_SECRETS], {
    env: { PATH: process.env.PATH, ...vars },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Seconds of a compose duration ('40s', '1m30s'). */
function seconds(d: string | undefined): number {
  if (!d) return 0;
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) {
    total += Number(m[1]) * { h: 3600, m: 60, s: 1, ms: 0.001 }[m[2] as 'h' | 'm' | 's' | 'ms'];
  }
  return total;
}

/** Every service a service waits for, directly or not. */
function upstream(c: Compose, name: string, seen = new Set<string>()): Set<string> {
  for (const dep of Object.keys(dependsOn(c.services[name]))) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    upstream(c, dep, seen);
  }
  return seen;
}

describe('Compose > production-grade', () => {
  it('should call Hasura healthy only with consistent metadata (/healthz?strict=true)', () => {
    const url = healthUrl(compose.services['hasura']);
    expect(url?.pathname).toBe('/healthz');
    expect(url?.searchParams.get('strict')).toBe('true');
  });

  it('should refuse the .env.example placeholders, short secrets and unsafe characters before anything starts', () => {
    const svc = compose.services['check-secrets'];
    expect(svc, 'a check-secrets service').toBeDefined();
    expect(isOneShot(svc)).toBe(true);
    const entry = [svc!.entrypoint ?? [], svc!.command ?? []].flat().join(' ');
    const target = mounts(svc).find((m) => m.source === './deploy/check-secrets.sh')?.target;
    expect(target).toBeDefined();
    expect(entry).toContain(target!);
    // it sees every secret, in the same required form as the services that use them
    const env = environment(svc);
    for (const v of SECRET_VARS) expect(env[v], v).toMatch(new RegExp(`^\\$\\{${v}:\\?[^}]+\\}$`));
    // whatever gets a secret waits for it to succeed
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'check-secrets') continue;
      const usesSecret = Object.values(environment(service)).some((value) =>
        substitutions(value).some((sub) => SECRET_VARS.includes(sub.name)),
      );
      if (!usesSecret) continue;
      expect(upstream(compose, name).has('check-secrets'), name).toBe(true);
    }
    for (const [name, service] of Object.entries(compose.services)) {
      if (dependsOn(service)['check-secrets'] !== undefined)
        expect(dependsOn(service)['check-secrets'], name).toBe('service_completed_successfully');
    }

    // the script itself, run: .env.example as copied refuses to start, naming each secret
    const placeholders = checkSecrets(envExample);
    expect(placeholders.code).toBe(1);
    for (const v of SECRET_VARS) expect(placeholders.out).toContain(`${v} in .env is still`);
    const good = Object.fromEntries(SECRET_VARS.map((v, i) => [v, `${i}`.repeat(40)]));
    expect(checkSecrets(good)).toEqual({ code: 0, out: 'secrets: ok\n' });
    expect(checkSecrets({ ...good, POSTGRES_PASSWORD: 'short' }).out).toContain(
      'POSTGRES_PASSWORD in .env is 5 characters: use at least 16',
    );
    // what would break the JSON of HASURA_GRAPHQL_JWT_SECRET or a database URL is refused
    for (const bad of ['"', '\\', '@', '/', ' ', '}']) {
      const r = checkSecrets({ ...good, STREAMSYNC_JWT_KEY: `${'k'.repeat(40)}${bad}` });
      expect(r.code, JSON.stringify(bad)).toBe(1);
      expect(r.out).toContain('STREAMSYNC_JWT_KEY in .env may hold only letters, digits');
    }
    // and whatever it lets through makes valid JSON for Hasura
    const accepted = `${'aZ09._~-'.repeat(5)}`;
    expect(checkSecrets({ ...good, STREAMSYNC_JWT_KEY: accepted }).code).toBe(0);
    const jwt = environment(compose.services['hasura'])['HASURA_GRAPHQL_JWT_SECRET'] ?? '';
    expect(JSON.parse(interpolate(jwt, { ...envExample, STREAMSYNC_JWT_KEY: accepted }))).toEqual({
      type: 'HS256',
      key: accepted,
    });
  });

  it("should publish Hasura's admin API on this host only unless configured", () => {
    const published = ports(compose.services['hasura']).find((p) => p.target === 8080);
    expect(published?.ip).toBe('${HASURA_BIND_ADDRESS:-127.0.0.1}');
    expect(interpolate(published!.ip!, {})).toBe('127.0.0.1');
    expect(envExample['HASURA_BIND_ADDRESS']).toBe('127.0.0.1');
    // the metrics, Postgres and Kafka ports likewise (web is the public dashboard)
    for (const [name, svc] of Object.entries(compose.services)) {
      if (name === 'web') continue;
      for (const p of ports(svc))
        expect(interpolate(p.ip ?? '', {}), `${name}:${p.target}`).toBe('127.0.0.1');
    }
  });

  it('should hand the web app the user settings the user role needs', () => {
    const web = environment(compose.services['web']);
    expect(web['STREAMSYNC_WEB_USER_ID']).toBe('${STREAMSYNC_WEB_USER_ID:-}');
    expect(web['STREAMSYNC_WEB_USER_HEADER']).toBe('${STREAMSYNC_WEB_USER_HEADER:-}');
  });

  it("should wait longer than each service's own shutdown before Docker's SIGKILL", () => {
    // the worker gives up on its batch after this (etl-worker/src/main.ts)
    const main = readFileSync(path.join(REPO_ROOT, 'etl-worker', 'src', 'main.ts'), 'utf8');
    const force = /stop timed out[\s\S]*?\},\s*([\d_]+)\s*\)/.exec(main);
    expect(force, 'the worker has a stop timeout').not.toBeNull();
    const workerOwnS = Number(force![1]!.replace(/_/g, '')) / 1000;
    expect(seconds(compose.services['worker']?.stop_grace_period)).toBeGreaterThan(workerOwnS);
    for (const [name, svc] of Object.entries(compose.services)) {
      if (isOneShot(svc)) continue;
      // Docker's default is 10 s: each says how long it needs
      expect(seconds(svc.stop_grace_period), name).toBeGreaterThan(10);
    }
  });

  it('should build lean per-service images on a supported Node, without dev dependencies', () => {
    const text = readFileSync(DOCKERFILE, 'utf8');
    const stages = new Map<string, string>();
    for (const part of text.split(/^(?=FROM\s)/m)) {
      const m = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(part);
      if (m) stages.set(m[2] ?? m[1]!, part);
    }
    for (const m of text.matchAll(/^FROM\s+(node:\S+)/gim)) {
      // Node 20 is past its end of life; 22 and 24 are the supported LTS lines
      expect(m[1]).toMatch(/^node:(22|24)(\.|-|$)/);
    }
    const manifest = (dir: string) =>
      JSON.parse(readFileSync(path.join(REPO_ROOT, dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
      };
    const folderOf = new Map(
      ['database', 'testing', 'stack', 'engine', 'etl-worker', 'bench', 'web'].map((d) => [
        manifest(d).name,
        d,
      ]),
    );
    /** A workspace and the workspaces its production dependencies name, transitively. */
    const prodWorkspaces = (dir: string, out = new Set<string>()): Set<string> => {
      out.add(dir);
      for (const dep of Object.keys(manifest(dir).dependencies ?? {})) {
        const d = folderOf.get(dep);
        if (d && !out.has(d)) prodWorkspaces(d, out);
      }
      return out;
    };
    for (const [service, workspace, installStage] of [
      ['worker', 'etl-worker', 'etl-worker'],
      ['producer', 'etl-worker', 'etl-worker'],
      ['web', 'web', 'web-deps'],
    ] as const) {
      const build = compose.services[service]?.build;
      const target = typeof build === 'object' ? build.target : undefined;
      const runtime = stages.get(target ?? '') ?? '';
      expect(runtime, `${service}: stage ${target}`).not.toBe('');
      // nothing wholesale: the runtime image gets what it runs
      expect(runtime, service).not.toMatch(/^COPY\s+\.\s+\./m);
      const install = stages.get(installStage) ?? '';
      expect(install).toMatch(
        new RegExp(`npm ci --omit=dev --workspace ${workspace} --include-workspace-root=false`),
      );
      // npm installs the dev dependencies of every workspace it sees: it sees only these
      const copied = new Set(
        [...install.matchAll(/^COPY\s+(\S+)\/package\.json\s/gm)].map((m) => m[1]!),
      );
      expect([...copied].sort(), service).toEqual([...prodWorkspaces(workspace)].sort());
    }
  });

  it('should relabel every bind mount for SELinux hosts (:z)', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        if (typeof v !== 'string' || !/^[./~]/.test(v)) continue;
        const options = v.split(':')[2]?.split(',') ?? [];
        expect(options.includes('z') || options.includes('Z'), `${name}: ${v}`).toBe(true);
      }
    }
  });
});

describe('Compose > the scale profile', () => {
  const scale = activeIn(compose, ['scale']);

  it('should add the second and third of each part in the scale profile only', () => {
    const stages = new Set(
      [...readFileSync(DOCKERFILE, 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map(
        (m) => m[1],
      ),
    );
    for (const name of SCALE_SERVICES) {
      const svc = compose.services[name];
      expect(svc, name).toBeDefined();
      expect(svc!.profiles, name).toEqual(['scale']);
      // an image, or a build from a stage of the Dockerfile
      const build = svc!.build;
      if (typeof build === 'object') expect(stages.has(build.target ?? ''), name).toBe(true);
      else expect(svc!.image, name).toMatch(/^[a-z0-9./-]+:[\w.-]+$/);
      expect(healthTest(svc).length, `${name} has no healthcheck`).toBeGreaterThan(1);
      expect(svc!.restart, name).toBe('unless-stopped');
    }
    expect(servicesWhere(scale, isKafka)).toHaveLength(3);
    expect(servicesWhere(scale, isWorker)).toHaveLength(2);
    expect(servicesWhere(scale, isHasura)).toHaveLength(2);
  });

  it('should read only settings compose substitutes from deploy/scale.env, and turn the profile on', () => {
    const substituted = new Set(substitutions(composeText).map((sub) => sub.name));
    for (const key of Object.keys(scaleEnv)) {
      if (key === 'COMPOSE_PROFILES') continue;
      expect(substituted.has(key), `deploy/scale.env: ${key}`).toBe(true);
    }
    expect(scaleEnv['COMPOSE_PROFILES']).toBe('scale');
    // the command the file's header and the compose file give
    expect(composeText).toContain('--env-file .env --env-file deploy/scale.env --profile scale');
  });

  it('should size replication to the brokers: one node by default, RF 3 and min ISR 2 with three', () => {
    expect(replicationProblems(compose, envExample, [])).toEqual([]);
    expect(replicationProblems(compose, scaleVars, ['scale'])).toEqual([]);
    const env = interpolated(environment(compose.services['kafka-3']), scaleVars);
    expect(env['KAFKA_DEFAULT_REPLICATION_FACTOR']).toBe('3');
    expect(env['KAFKA_MIN_INSYNC_REPLICAS']).toBe('2');
    // each broker publishes its own port for host clients, advertised as published
    for (const b of servicesWhere(scale, isKafka)) {
      const e = interpolated(environment(compose.services[b]), scaleVars);
      const external = listenerMap(e['KAFKA_ADVERTISED_LISTENERS'] ?? '').get('EXTERNAL');
      expect(listenerMap(e['KAFKA_LISTENERS'] ?? '').get('EXTERNAL')?.port, b).toBe(external?.port);
      expect(ports(compose.services[b]), b).toContainEqual({
        ip: '127.0.0.1',
        published: String(external?.port),
        target: external?.port,
      });
    }
    expect(portClashes(scale, scaleVars)).toEqual([]);
    expect(portClashes(activeIn(compose, []), envExample)).toEqual([]);
  });

  it('should run both workers in one consumer group against the same database and brokers', () => {
    const [a, b] = servicesWhere(scale, isWorker).map((w) =>
      interpolated(environment(compose.services[w]), scaleVars),
    );
    for (const key of [
      'ETL_GROUP_ID',
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'STREAMSYNC_WEBHOOK_SECRET',
    ])
      expect(b![key], key).toBe(a![key]);
    // partitions enough for both to have work
    expect(Number(scaleVars['ETL_TOPIC_PARTITIONS'])).toBeGreaterThanOrEqual(2);
    expect(ports(compose.services['worker-2'])).toEqual([]);
  });

  it('should put both Hasura replicas, configured alike, behind HAProxy with deploy/haproxy/haproxy.cfg', () => {
    const hasuras = servicesWhere(scale, isHasura);
    const [first, second] = hasuras.map((h) => compose.services[h]!);
    expect(second!.image).toBe(first!.image);
    expect(environment(second)).toEqual(environment(first));
    expect(ports(compose.services['hasura-2'])).toEqual([]);

    const lb = compose.services['haproxy']!;
    expect(lb.image).toMatch(/^haproxy:\d+\.\d+/);
    const cfg = mounts(lb).find((m) => m.source === HAPROXY_CONFIG);
    expect(cfg?.target).toBe('/usr/local/etc/haproxy/haproxy.cfg');
    const cfgVolume = (lb.volumes ?? []).find(
      (v) => typeof v === 'string' && v.startsWith(HAPROXY_CONFIG),
    );
    expect(String(cfgVolume).split(':')[2]?.split(',')).toContain('ro');
    const cfgText = readFileSync(path.resolve(REPO_ROOT, HAPROXY_CONFIG), 'utf8');
    // one server per Hasura replica, each named through a variable compose sets to it
    const servers = [...cfgText.matchAll(/^\s*server\s+\S+\s+"\$\{([A-Z0-9_]+)\}"/gm)].map(
      (m) => m[1]!,
    );
    const env = environment(lb);
    const targets = servers.map((v) => env[v]).filter((t): t is string => t !== undefined);
    expect(targets.sort()).toEqual(hasuras.map((h) => `${h}:8080`).sort());
    expect(cfgText).toMatch(/option httpchk GET \/healthz/);
    // WebSockets live on: a tunnel timeout far beyond the HTTP ones
    expect(cfgText).toMatch(/timeout tunnel \d+h/);
    // the healthcheck asks the balancer's own monitor URI, on the port it binds
    const monitor = /monitor-uri\s+(\S+)/.exec(cfgText)?.[1];
    const url = healthUrl(lb);
    expect(url?.pathname).toBe(monitor);
    const bindPort = Number(/:(\d+)$/.exec(env['LB_BIND'] ?? '')?.[1]);
    expect(Number(url?.port)).toBe(bindPort);
    expect(ports(lb).map((p) => p.target)).toEqual([bindPort]);
    // and HAProxy itself accepts the file with these settings
    const check = spawnSync('haproxy', ['-c', '-f', path.resolve(REPO_ROOT, HAPROXY_CONFIG)], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });
    expect(check.error, 'haproxy is installed (.ci/run installs it)').toBeUndefined();
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it("should stream a read replica from the primary and send Hasura's reads to it", () => {
    const replica = compose.services['postgres-replica']!;
    expect(replica.image).toBe(compose.services['postgres']!.image);
    const script = mounts(replica).find((m) => m.source.startsWith('./deploy/postgres/'));
    expect(script).toBeDefined();
    expect([replica.entrypoint ?? []].flat().join(' ')).toContain(script!.target);
    const text = readFileSync(path.resolve(REPO_ROOT, script!.source), 'utf8');
    expect(text).toMatch(/pg_basebackup[^\n]* -R /);
    expect(text).toMatch(/exec docker-entrypoint\.sh postgres/);
    expect(environment(replica)['PGHOST']).toBe('postgres');
    expect(mounts(replica)).toContainEqual({
      source: 'pgreplica',
      target: environment(replica)['PGDATA'],
      bind: false,
    });
    // the primary lets it connect for replication, with a password, through its hba file
    const primary = compose.services['postgres']!;
    const hbaPath = /hba_file=(\S+)/.exec(commandArgs(primary).join(' '))?.[1];
    const hba = mounts(primary).find((m) => m.target === hbaPath);
    expect(hba, 'the hba_file is mounted').toBeDefined();
    const rules = readFileSync(path.resolve(REPO_ROOT, hba!.source), 'utf8');
    expect(rules).toMatch(/^host\s+replication\s+all\s+all\s+scram-sha-256$/m);
    // the image's own rules stay: passwords over the network, trust on the socket
    expect(rules).toMatch(/^host\s+all\s+all\s+all\s+scram-sha-256$/m);
    expect(rules).toMatch(/^local\s+all\s+all\s+trust$/m);

    const pgEnv = environment(primary);
    for (const h of servicesWhere(scale, isHasura)) {
      const raw = environment(compose.services[h])['HASURA_GRAPHQL_READ_REPLICA_URLS'] ?? '';
      for (const [vars, host] of [
        [scaleVars, 'postgres-replica'],
        [envExample, 'postgres'],
      ] as const) {
        const u = new URL(interpolate(raw, vars));
        expect(u.hostname, h).toBe(host);
        expect(u.pathname).toBe(`/${pgEnv['POSTGRES_DB']}`);
        expect(u.username).toBe(pgEnv['POSTGRES_USER']);
        expect(decodeURIComponent(u.password)).toBe(
          interpolate(pgEnv['POSTGRES_PASSWORD'] ?? '', vars),
        );
      }
    }
  });

  it('should point the web app at the balancer, without the admin secret', () => {
    const web = interpolated(environment(compose.services['web']), scaleVars);
    const lbEnv = environment(compose.services['haproxy']);
    const bindPort = /:(\d+)$/.exec(lbEnv['LB_BIND'] ?? '')?.[1];
    expect(new URL(web['GRAPHQL_URL']!).host).toBe(`haproxy:${bindPort}`);
    const published = ports(compose.services['haproxy'])[0]?.published;
    expect(new URL(web['GRAPHQL_PUBLIC_URL']!).port).toBe(published);
    expect(Object.keys(web).filter((k) => /ADMIN|ACCESS_KEY/.test(k))).toEqual([]);
    expect(
      Object.values(web).some((v) => v.includes(scaleVars['HASURA_GRAPHQL_ADMIN_SECRET']!)),
    ).toBe(false);
  });
});

describe('Compose > the checks can fail', () => {
  const copy = (): Compose => structuredClone(compose);

  it('should catch a misspelt or unread variable name', () => {
    const c = copy();
    const worker = c.services['worker']!.environment as Record<string, unknown>;
    worker['ETL_HTTP_PROT'] = worker['ETL_HTTP_PORT'];
    delete worker['ETL_HTTP_PORT'];
    const producer = c.services['producer']!.environment as Record<string, unknown>;
    producer['PRODUCER_RATE_PER_S'] = 1;
    producer['ETL_GROUP_ID'] = 'g'; // the worker's, not the producer's
    (c.services['web']!.environment as Record<string, unknown>)['GRAPHQL_ENDPOINT'] = 'x';
    const hasura = c.services['hasura']!.environment as Record<string, unknown>;
    hasura['HASURA_GRAPHQL_ENABLE_CONSOL'] = 'true';
    hasura['LOG_LEVEL'] = 'info'; // the engine reads it, Hasura does not
    if (c.services['seed'])
      (c.services['seed'].environment as Record<string, unknown>)['PGPASS'] = 'x';
    expect(envNameProblems(c)).toEqual(
      expect.arrayContaining([
        'worker: ETL_HTTP_PROT is not read by its code',
        'producer: PRODUCER_RATE_PER_S is not read by its code',
        'producer: ETL_GROUP_ID is not read by its code',
        'web: GRAPHQL_ENDPOINT is not read by its code',
        'hasura: HASURA_GRAPHQL_ENABLE_CONSOL is neither read by engine/src nor a known Hasura-image variable',
        'hasura: LOG_LEVEL is not a Hasura variable (nor a from_env of the metadata)',
        ...(c.services['seed'] ? ['seed: PGPASS is not a libpq variable psql reads'] : []),
      ]),
    );
  });

  it('should find names read in each way the code reads them', () => {
    const names = envNamesRead(`
      const a = process.env.ALPHA_ONE;
      const b = env['BETA_TWO'] ?? env?.["GAMMA"];
      const c = readInt(env, 'DELTA_MS', 5), d = readUrl(ctx.env, "EPSILON_URL", []);
      const e = text('ZETA_ID', 'x');
      const { ETA, THETA: t } = process.env;
      throw new ConfigError('NOT_READ', 'named in an error only');
      process.on('SIGTERM', stop); await client.query('COMMIT');
      // env.IN_A_COMMENT
    `);
    expect([...names].sort()).toEqual(
      [
        'ALPHA_ONE',
        'BETA_TWO',
        'DELTA_MS',
        'EPSILON_URL',
        'ETA',
        'GAMMA',
        'THETA',
        'ZETA_ID',
      ].sort(),
    );
  });

  it('should catch a literal secret, an optional secret, and the admin secret in the web app', () => {
    const c = copy();
    (c.services['hasura']!.environment as Record<string, unknown>)['HASURA_GRAPHQL_ADMIN_SECRET'] =
      'hunter2';
    (c.services['web']!.environment as Record<string, unknown>)['HASURA_GRAPHQL_ADMIN_SECRET'] =
      '${HASURA_GRAPHQL_ADMIN_SECRET:?x}';
    (c.services['worker']!.environment as Record<string, unknown>)['DATABASE_URL'] =
      'postgres://postgres:secret@postgres:5432/streamsync';
    const text = composeText.replace(
      '${HASURA_GRAPHQL_ADMIN_SECRET:?',
      '${HASURA_GRAPHQL_ADMIN_SECRET:-default}${X:?',
    );
    const problems = secretProblems(c, text);
    expect(problems).toEqual(
      expect.arrayContaining([
        'hasura: HASURA_GRAPHQL_ADMIN_SECRET is not taken from a secret variable',
        'hasura: HASURA_GRAPHQL_ADMIN_SECRET has a literal part "hunter2"',
        'web: gets the admin secret (HASURA_GRAPHQL_ADMIN_SECRET)',
        'worker: DATABASE_URL has a literal password',
        '${HASURA_GRAPHQL_ADMIN_SECRET:-default} must be the required form ${HASURA_GRAPHQL_ADMIN_SECRET:?…}',
      ]),
    );
  });

  it('should catch a wrong start order, a cycle and a missing healthcheck', () => {
    const c = copy();
    c.services['web']!.depends_on = { hasura: { condition: 'service_started' } };
    c.services['postgres']!.depends_on = { worker: { condition: 'service_healthy' } };
    delete c.services['kafka']!.healthcheck;
    const problems = orderProblems(c);
    expect(problems).toContain('web must wait for hasura (service_healthy), not service_started');
    expect(problems.some((p) => p.startsWith('dependency cycle:'))).toBe(true);
    expect(problems).toContain(
      'producer waits for kafka to be healthy, but kafka has no healthcheck',
    );
  });

  it('should catch an undeclared, an unused and a missing volume', () => {
    const c = copy();
    c.services['postgres']!.volumes = ['pgdata2:/var/lib/postgresql/data'];
    c.services['hasura']!.volumes = ['./hasura/no-such-dir:/hasura-migrations:ro'];
    expect(volumeProblems(c)).toEqual(
      expect.arrayContaining([
        'postgres: volume pgdata2 is not declared under volumes:',
        'volume pgdata is declared but unused',
        'hasura: bind mount source ./hasura/no-such-dir does not exist',
      ]),
    );
  });

  it('should catch a substituted variable missing from .env.example, and a stale one', () => {
    const text = `${composeText}\nx-extra: \${NEW_SETTING:-1}\n`;
    const example = { ...envExample, OLD_SETTING: '1' };
    expect(envExampleProblems(text, example)).toEqual([
      '.env.example does not name NEW_SETTING',
      '.env.example names OLD_SETTING, which compose does not use',
    ]);
  });

  it('should catch replication out of step with the brokers, and a client missing one', () => {
    expect(
      replicationProblems(compose, { ...scaleVars, KAFKA_REPLICATION_FACTOR: '2' }, ['scale']),
    ).toContain('kafka: KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR is 2, expected 3');
    expect(
      replicationProblems(compose, { ...scaleVars, KAFKA_MIN_INSYNC_REPLICAS: '1' }, ['scale']),
    ).toContain('kafka-2: KAFKA_MIN_INSYNC_REPLICAS is 1, expected 2');
    // the scale profile without deploy/scale.env: a quorum of one for three brokers
    expect(replicationProblems(compose, envExample, ['scale'])).toContain(
      'kafka-3: quorum 1@kafka:9093, expected 1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093',
    );
    const c = copy();
    (c.services['worker-2']!.environment as Record<string, unknown>)['KAFKA_BROKERS'] =
      'kafka:9092';
    expect(replicationProblems(c, scaleVars, ['scale'])).toContain(
      'worker-2: KAFKA_BROKERS is kafka:9092, expected every broker (kafka:9092,kafka-2:9092,kafka-3:9092)',
    );
    c.services['kafka-3']!.ports = ['127.0.0.1:9095:9095'];
    expect(portClashes(activeIn(c, ['scale']), scaleVars)).toEqual([
      'kafka-3 and kafka-2 both publish 127.0.0.1:9095',
    ]);
  });

  it('should catch a default service that needs a scale one, and a balancer variable its config lacks', () => {
    const c = copy();
    c.services['web']!.depends_on = {
      hasura: { condition: 'service_healthy' },
      haproxy: { condition: 'service_healthy' },
    };
    expect(orderProblems(c)).toContain(
      'web (every profile) depends on haproxy, which only the scale profile starts',
    );
    (c.services['haproxy']!.environment as Record<string, unknown>)['ENGINE_3'] = 'x:8080';
    (c.services['hasura-2']!.environment as Record<string, unknown>)[
      'HASURA_GRAPHQL_READ_REPLICA'
    ] = 'x';
    expect(envNameProblems(c)).toEqual(
      expect.arrayContaining([
        'haproxy: ENGINE_3 is not named in ./deploy/haproxy/haproxy.cfg',
        'hasura-2: HASURA_GRAPHQL_READ_REPLICA is neither read by engine/src nor a known Hasura-image variable',
      ]),
    );
  });

  it('should substitute as compose does', () => {
    const vars = { A: 'a', EMPTY: '' };
    expect(interpolate('$${A}-${A}-${B:-b}-${EMPTY:-e}-${EMPTY-e}-$A', vars)).toBe('${A}-a-b-e--a');
    expect(() => interpolate('${B:?set B}', vars)).toThrow('B: set B');
    expect(substitutions('$${A} ${B:?x} ${C:-1}').map((s) => s.name)).toEqual(['B', 'C']);
  });
});
