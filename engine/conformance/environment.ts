/**
 * The database side of a conformance run: what upstream gives every test class, a fresh database
 * with the `hge_tests` schema and the `citext`, `ltree` and `pgcrypto` extensions, plus PostGIS
 * (`postgis`, `postgis_topology`, `postgis_raster`) for the directories that need it.
 *
 * Two template databases are prepared once per run (with and without PostGIS) and every group's
 * database is cloned from one of them (`CREATE DATABASE … TEMPLATE …`), which is much faster than
 * creating the extensions each time. Every database this module creates is named
 * `hge_conformance_<pid>_<random>` and dropped at the end; databases left behind by a run that
 * was killed (its pid is gone) are dropped at the next start.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { createPool, query, sql, withDatabase } from '@streamsync/database';

const PREFIX = 'hge_conformance_';
const BASE_EXTENSIONS = ['citext', 'ltree', 'pgcrypto'];
const POSTGIS_EXTENSIONS = ['postgis', 'postgis_topology', 'postgis_raster'];

export interface ServerInfo {
  version: string;
  postgis: boolean;
  /** Base extensions the server cannot install. */
  missing: string[];
  /**
   * The server knows the `en_US.utf-8` locale that some setups select (`SET lc_monetary`); when
   * false those setups fail (generate the locale on the server's machine, see README.md).
   */
  enUsLocale: boolean;
}

export interface CaseDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function adminPool(url: string): pg.Pool {
  return createPool({ connectionString: url, applicationName: 'streamsync-conformance', max: 2 });
}

/** What the server offers; throws when it cannot be reached. */
export async function inspectServer(adminUrl: string): Promise<ServerInfo> {
  const pool = adminPool(adminUrl);
  try {
    const v = await query<{ v: string }>(pool, sql`SELECT current_setting('server_version') AS v`);
    const ext = await query<{ name: string }>(pool, sql`SELECT name FROM pg_available_extensions`);
    const names = new Set(ext.rows.map((r) => r.name));
    let enUsLocale = true;
    try {
      await query(pool, sql`SET lc_monetary TO "en_US.utf-8"`);
    } catch {
      enUsLocale = false;
    }
    return {
      enUsLocale,
      version: v.rows[0]?.v ?? 'unknown',
      postgis: POSTGIS_EXTENSIONS.every((e) => names.has(e)),
      missing: BASE_EXTENSIONS.filter((e) => !names.has(e)),
    };
  } finally {
    await pool.end();
  }
}

function randomName(): string {
  return `${PREFIX}${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
}

/** Drop databases of earlier runs whose process no longer exists. */
export async function dropStaleDatabases(adminUrl: string): Promise<string[]> {
  const pool = adminPool(adminUrl);
  const dropped: string[] = [];
  try {
    const res = await query<{ datname: string }>(
      pool,
      sql`SELECT datname FROM pg_database WHERE starts_with(datname, ${sql.value(PREFIX)})`,
    );
    for (const { datname } of res.rows) {
      const pid = Number(/^hge_conformance_(\d+)_/.exec(datname)?.[1]);
      if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
      await query(pool, sql`DROP DATABASE IF EXISTS ${sql.ident(datname)} WITH (FORCE)`);
      dropped.push(datname);
    }
  } finally {
    await pool.end();
  }
  return dropped;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Per-run factory of group databases. `prepare` builds the templates it will need; `create`
 * clones one; `close` drops the templates.
 */
export class DatabaseFactory {
  private templates = new Map<boolean, Promise<string>>();
  private live = new Set<string>();

  constructor(private readonly adminUrl: string) {}

  private template(postgis: boolean): Promise<string> {
    let t = this.templates.get(postgis);
    if (!t) {
      t = this.buildTemplate(postgis);
      this.templates.set(postgis, t);
    }
    return t;
  }

  private async buildTemplate(postgis: boolean): Promise<string> {
    const name = randomName();
    await this.exec(sql`CREATE DATABASE ${sql.ident(name)}`);
    this.live.add(name);
    const pool = adminPool(withDatabase(this.adminUrl, name));
    try {
      for (const ext of [...BASE_EXTENSIONS, ...(postgis ? POSTGIS_EXTENSIONS : [])]) {
        await query(pool, sql`CREATE EXTENSION IF NOT EXISTS ${sql.ident(ext)}`);
      }
      await query(pool, sql`CREATE SCHEMA IF NOT EXISTS ${sql.ident('hge_tests')}`);
    } finally {
      await pool.end();
    }
    return name;
  }

  /** A fresh database for one group, cloned from the matching template. */
  async create(opts: { postgis: boolean }): Promise<CaseDatabase> {
    const template = await this.template(opts.postgis);
    const name = randomName();
    await this.exec(sql`CREATE DATABASE ${sql.ident(name)} TEMPLATE ${sql.ident(template)}`);
    this.live.add(name);
    return {
      name,
      url: withDatabase(this.adminUrl, name),
      drop: () => this.drop(name),
    };
  }

  private async drop(name: string): Promise<void> {
    await this.exec(sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
    this.live.delete(name);
  }

  /** Drop every database this factory created that is still there (templates included). */
  async close(): Promise<void> {
    const templates = await Promise.allSettled([...this.templates.values()]);
    this.templates.clear();
    for (const t of templates) if (t.status === 'fulfilled') this.live.add(t.value);
    for (const name of [...this.live]) {
      await this.drop(name).catch(() => {});
    }
  }

  private async exec(statement: ReturnType<typeof sql>): Promise<void> {
    // CREATE/DROP DATABASE cannot share a connection with a running transaction; one short pool
    // per statement keeps concurrent groups independent.
    const pool = adminPool(this.adminUrl);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await query(pool, statement);
          return;
        } catch (e) {
          // "source database … is being accessed by other users": a template still closing
          if ((e as { code?: string }).code === '55006' && attempt < 20) {
            await new Promise((r) => setTimeout(r, 250));
            continue;
          }
          throw e;
        }
      }
    } finally {
      await pool.end();
    }
  }
}
