/**
 * A LISTEN that stays up: one dedicated connection that listens on a channel and calls `onNotify`
 * for each notification, reconnecting with backoff when Postgres goes away, and calling
 * `onListening` each time it (re)starts listening (a change made while it was away was missed:
 * reload then). Returns a stop function.
 */
import pg from 'pg';
import { query, sql } from '@streamsync/database';

export function listenForever(opts: {
  connectionString: string;
  channel: string;
  applicationName: string;
  onNotify: () => void;
  onListening: () => void;
}): () => Promise<void> {
  let stopped = false;
  let current: pg.Client | null = null;
  void (async () => {
    let backoff = 200;
    while (!stopped) {
      const client = new pg.Client({
        connectionString: opts.connectionString,
        application_name: opts.applicationName,
      });
      try {
        await client.connect();
        const closed = new Promise<void>((resolve) => {
          client.on('error', () => resolve());
          client.on('end', () => resolve());
        });
        client.on('notification', () => opts.onNotify());
        await query(client, sql`LISTEN ${sql.ident(opts.channel)}`);
        current = client;
        backoff = 200;
        opts.onListening();
        await closed;
      } catch {
        // Postgres is away: whatever polls carries on; try again with backoff
      } finally {
        current = null;
        await client.end().catch(() => {});
      }
      if (stopped) break;
      await new Promise((r) => setTimeout(r, backoff).unref());
      backoff = Math.min(backoff * 2, 10_000);
    }
  })();
  return async () => {
    stopped = true;
    await current?.end().catch(() => {});
  };
}
