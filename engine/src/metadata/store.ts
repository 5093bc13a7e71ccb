/**
 * Metadata kept where Hasura keeps it: `hdb_catalog.hdb_metadata` (one row, id 1, with a
 * resource_version that grows on every change), plus a row in `hdb_schema_notifications` so other
 * engine processes serving the same database can notice the change and reload (issue 5).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ensureCatalog, query, sql, transaction } from '@streamsync/database';
import { QErr } from '../errors.ts';
import { announceChange } from './sync.ts';
import { emptyMetadata, type Metadata } from './types.ts';

export interface StoredMetadata {
  metadata: Metadata;
  resourceVersion: number;
}

export class MetadataStore {
  /** Identifies this process in hdb_schema_notifications. */
  readonly instanceId = randomUUID();
  constructor(private readonly pool: pg.Pool) {}

  async init(): Promise<void> {
    await ensureCatalog(this.pool);
  }

  async load(): Promise<StoredMetadata> {
    const { rows } = await query<{ metadata: Metadata; resource_version: number }>(
      this.pool,
      sql`SELECT metadata, resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1`,
    );
    const row = rows[0];
    if (!row) return { metadata: emptyMetadata(), resourceVersion: 0 };
    return { metadata: row.metadata, resourceVersion: row.resource_version };
  }

  /**
   * Store a new metadata document. With `expectedVersion`, refuse (409 conflict, as Hasura does)
   * when another writer got there first.
   */
  async save(metadata: Metadata, expectedVersion?: number): Promise<number> {
    return transaction(this.pool, async (client) => {
      const { rows } = await query<{ resource_version: number }>(
        client,
        sql`SELECT resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1 FOR UPDATE`,
      );
      const current = rows[0]?.resource_version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== current) {
        throw new QErr(
          'conflict',
          `metadata resource version referenced (${expectedVersion}) did not match current version`,
          409,
        );
      }
      const next = current + 1;
      const doc = sql.value(JSON.stringify(metadata), 'json');
      await query(
        client,
        sql`INSERT INTO hdb_catalog.hdb_metadata (id, metadata, resource_version) VALUES (1, ${doc}, ${sql.value(next)})
            ON CONFLICT (id) DO UPDATE SET metadata = EXCLUDED.metadata, resource_version = EXCLUDED.resource_version`,
      );
      await query(
        client,
        sql`INSERT INTO hdb_catalog.hdb_schema_notifications (id, notification, resource_version, instance_id)
            VALUES (1, ${sql.value('{}', 'json')}, ${sql.value(next)}, ${sql.value(this.instanceId, 'uuid')})
            ON CONFLICT (id) DO UPDATE SET notification = EXCLUDED.notification,
              resource_version = EXCLUDED.resource_version, instance_id = EXCLUDED.instance_id, updated_at = now()`,
      );
      // delivered at commit: the other instances reload (metadata/sync.ts)
      await announceChange(client, next);
      return next;
    });
  }
}
