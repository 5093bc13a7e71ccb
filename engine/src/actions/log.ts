/**
 * Asynchronous actions in hdb_catalog.hdb_action_log (Hasura's table, in the metadata database,
 * created with the catalog by @streamsync/database): a call is a row `created`; a worker takes it
 * under a row lock (`FOR UPDATE SKIP LOCKED`, held in its transaction while the handler is
 * called), so several engines on one database process each call once, and a call whose engine
 * died mid-way is unlocked by Postgres and taken again; the outcome is `completed` with the
 * answer, or `error` with the error as Hasura stores it (`{path, error, code, internal?}`).
 */
import type pg from 'pg';
import { query, sql } from '@streamsync/database';
import type { Json } from '../webhook/kriti.ts';

export interface ActionLogRow {
  id: string;
  action_name: string;
  input_payload: Json;
  request_headers: Json;
  session_variables: Record<string, string>;
  response_payload: Json;
  errors: Json;
  created_at: string;
  status: 'created' | 'processing' | 'completed' | 'error';
}

export class ActionLog {
  constructor(private readonly pool: pg.Pool) {}

  async insert(
    action: string,
    input: Json,
    headers: Array<{ name: string; value: string }>,
    session: Record<string, string>,
  ): Promise<string> {
    const { rows } = await query<{ id: string }>(
      this.pool,
      sql`INSERT INTO hdb_catalog.hdb_action_log
            (action_name, input_payload, request_headers, session_variables, status)
          VALUES (${sql.value(action)}, ${sql.value(JSON.stringify(input))}::jsonb,
                  ${sql.value(JSON.stringify(headers))}::jsonb,
                  ${sql.value(JSON.stringify(session))}::jsonb, 'created')
          RETURNING id`,
    );
    return rows[0]!.id;
  }

  async read(id: string, action: string): Promise<ActionLogRow | null> {
    const { rows } = await query<ActionLogRow>(
      this.pool,
      sql`SELECT id, action_name, input_payload, request_headers, session_variables,
                 response_payload, errors,
                 to_json(created_at)#>>'{}' AS created_at, status
            FROM hdb_catalog.hdb_action_log
           WHERE id = ${sql.value(id)}::uuid AND action_name = ${sql.value(action)}`,
    );
    return rows[0] ?? null;
  }

  /**
   * Take the oldest waiting call on `client` (in a transaction the caller ends), or null. The
   * status becomes `processing` for this transaction; others skip the locked row.
   */
  async take(client: pg.PoolClient): Promise<ActionLogRow | null> {
    const { rows } = await query<ActionLogRow>(
      client,
      sql`UPDATE hdb_catalog.hdb_action_log l SET status = 'processing'
           WHERE l.id = (SELECT id FROM hdb_catalog.hdb_action_log
                          WHERE status = 'created' ORDER BY created_at
                          FOR UPDATE SKIP LOCKED LIMIT 1)
          RETURNING l.id, l.action_name, l.input_payload, l.request_headers, l.session_variables,
                    l.response_payload, l.errors, to_json(l.created_at)#>>'{}' AS created_at,
                    l.status`,
    );
    return rows[0] ?? null;
  }

  async complete(client: pg.PoolClient, id: string, response: Json): Promise<void> {
    await query(
      client,
      sql`UPDATE hdb_catalog.hdb_action_log
             SET status = 'completed', response_payload = ${sql.value(JSON.stringify(response))}::jsonb,
                 response_received_at = now()
           WHERE id = ${sql.value(id)}::uuid`,
    );
  }

  async fail(client: pg.PoolClient, id: string, errors: Json): Promise<void> {
    await query(
      client,
      sql`UPDATE hdb_catalog.hdb_action_log
             SET status = 'error', errors = ${sql.value(JSON.stringify(errors))}::jsonb,
                 response_received_at = now()
           WHERE id = ${sql.value(id)}::uuid`,
    );
  }

  /** drop_action with clear_data: the action's stored calls go too. */
  async clear(action: string): Promise<void> {
    await query(
      this.pool,
      sql`DELETE FROM hdb_catalog.hdb_action_log WHERE action_name = ${sql.value(action)}`,
    );
  }
}
