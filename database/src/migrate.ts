/**
 * The migration applier for `hasura/migrations/<database>/<version>_<name>/{up,down}.sql`, the one
 * place DDL lives. It keeps its state where the `hasura` CLI (config v3) keeps it — the catalog
 * state's `cli_state.migrations` — so `hasura migrate status` and this applier always agree.
 *
 * Each migration runs in its own transaction together with the state update: a migration is either
 * applied and recorded, or neither. A failure stops the run at that migration, names its file and
 * carries the Postgres error; the next run resumes there. A session advisory lock keeps two
 * appliers (two processes starting at once) from racing.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { appliedVersions, CATALOG_LOCK_KEY, ensureCatalog, recordVersion } from './catalog.ts';
import { REPO_ROOT } from './config.ts';
import { query, transaction, withClient } from './pool.ts';
import { sql } from './sql.ts';

export const DEFAULT_MIGRATIONS_DIR = path.join(REPO_ROOT, 'hasura', 'migrations');
export const DEFAULT_SEEDS_DIR = path.join(REPO_ROOT, 'hasura', 'seeds');

export interface Migration {
  version: string;
  name: string;
  upFile: string;
  downFile: string;
}

export interface MigrateOptions {
  /** The migrations root (holding one folder per database); default hasura/migrations. */
  dir?: string;
  /** The Hasura database (source) name; default `default`. */
  source?: string;
  log?: (msg: string) => void;
}

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    override readonly cause: unknown,
  ) {
    const pgErr = cause as { message?: string; code?: string; position?: string };
    super(
      `migration failed: ${file}: ${pgErr?.message ?? String(cause)}` +
        (pgErr?.code
          ? ` (SQLSTATE ${pgErr.code}${pgErr.position ? `, at character ${pgErr.position}` : ''})`
          : ''),
    );
    this.name = 'MigrationError';
  }
}

const DIR_PATTERN = /^(\d{13,})_([A-Za-z0-9_-]+)$/;

/** The migrations on disk for one database, in version order. */
export async function listMigrations(opts: MigrateOptions = {}): Promise<Migration[]> {
  const root = path.join(opts.dir ?? DEFAULT_MIGRATIONS_DIR, opts.source ?? 'default');
  if (!existsSync(root)) return [];
  const entries = await fs.readdir(root, { withFileTypes: true });
  const migrations: Migration[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const m = DIR_PATTERN.exec(e.name);
    if (!m) throw new Error(`unexpected folder in ${root}: ${e.name} (expected <version>_<name>)`);
    migrations.push({
      version: m[1]!,
      name: m[2]!,
      upFile: path.join(root, e.name, 'up.sql'),
      downFile: path.join(root, e.name, 'down.sql'),
    });
  }
  // versions are millisecond timestamps; compare as integers, not strings
  return migrations.sort((a, b) => (BigInt(a.version) < BigInt(b.version) ? -1 : 1));
}

export interface MigrationStatus extends Migration {
  applied: boolean;
}

export async function migrationStatus(
  pool: pg.Pool,
  opts: MigrateOptions = {},
): Promise<MigrationStatus[]> {
  await ensureCatalog(pool);
  const applied = await appliedVersions(pool, opts.source ?? 'default');
  return (await listMigrations(opts)).map((m) => ({ ...m, applied: applied.has(m.version) }));
}

async function withMigrationLock<T>(pool: pg.Pool, fn: () => Promise<T>): Promise<T> {
  return withClient(pool, async (lockClient) => {
    await query(
      lockClient,
      sql`SELECT pg_advisory_lock(${sql.value(CATALOG_LOCK_KEY + 1)}::bigint)`,
    );
    try {
      return await fn();
    } finally {
      await query(
        lockClient,
        sql`SELECT pg_advisory_unlock(${sql.value(CATALOG_LOCK_KEY + 1)}::bigint)`,
      );
    }
  });
}

/**
 * Run a migration file's text. It is trusted DDL from the repository (the one place DDL lives),
 * sent as one simple-protocol request the way Hasura's run_sql sends it: several statements allowed.
 */
async function runFile(client: pg.PoolClient, file: string): Promise<void> {
  const text = await fs.readFile(file, 'utf8');
  if (text.trim() === '') return; // the CLI skips empty files too
  try {
    await client.query(text);
  } catch (err) {
    throw new MigrationError(path.relative(REPO_ROOT, file), err);
  }
}

/** Apply every pending migration (or up to and including `to`). Returns the versions applied. */
export async function migrateUp(
  pool: pg.Pool,
  opts: MigrateOptions & { to?: string } = {},
): Promise<string[]> {
  const source = opts.source ?? 'default';
  const log = opts.log ?? (() => {});
  await ensureCatalog(pool);
  return withMigrationLock(pool, async () => {
    const applied = await appliedVersions(pool, source);
    const done: string[] = [];
    for (const m of await listMigrations(opts)) {
      if (opts.to && BigInt(m.version) > BigInt(opts.to)) break;
      if (applied.has(m.version)) continue;
      await transaction(pool, async (client) => {
        await runFile(client, m.upFile);
        await recordVersion(client, source, m.version, true);
      });
      log(`applied ${m.version}_${m.name}`);
      done.push(m.version);
    }
    return done;
  });
}

/** Revert the newest `steps` applied migrations (default 1), newest first. Returns the versions reverted. */
export async function migrateDown(
  pool: pg.Pool,
  opts: MigrateOptions & { steps?: number } = {},
): Promise<string[]> {
  const source = opts.source ?? 'default';
  const log = opts.log ?? (() => {});
  const steps = opts.steps ?? 1;
  await ensureCatalog(pool);
  return withMigrationLock(pool, async () => {
    const applied = await appliedVersions(pool, source);
    const onDisk = await listMigrations(opts);
    const known = new Set(onDisk.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      // reverting around a version we have no down.sql for would leave the schema inconsistent
      throw new Error(
        `applied migrations missing on disk: ${unknown.join(', ')}; cannot migrate down`,
      );
    }
    const toRevert = onDisk
      .filter((m) => applied.has(m.version))
      .reverse()
      .slice(0, steps);
    const done: string[] = [];
    for (const m of toRevert) {
      await transaction(pool, async (client) => {
        await runFile(client, m.downFile);
        await recordVersion(client, source, m.version, false);
      });
      log(`reverted ${m.version}_${m.name}`);
      done.push(m.version);
    }
    return done;
  });
}

/**
 * Apply every seed file of a database (`seeds/<database>/*.sql`, in name order) in one transaction,
 * as `hasura seed apply` does with one bulk request. Seeds are written to be re-runnable.
 */
export async function applySeeds(
  pool: pg.Pool,
  opts: { dir?: string; source?: string } = {},
): Promise<string[]> {
  const root = path.join(opts.dir ?? DEFAULT_SEEDS_DIR, opts.source ?? 'default');
  if (!existsSync(root)) return [];
  const files = (await fs.readdir(root)).filter((f) => /\.sql$/i.test(f)).sort();
  await transaction(pool, async (client) => {
    for (const f of files) await runFile(client, path.join(root, f));
  });
  return files;
}
