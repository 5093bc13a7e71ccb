/**
 * Entity ids for natural keys. A point names its entity by key ("sensor-0007"); the table stores
 * entities.id. Ids are cached in memory; unknown keys are created in the batch's own transaction
 * (so an entity never exists without its first points, nor the reverse) and enter the cache only
 * once that transaction has committed.
 */
import type pg from 'pg';
import { query, sql } from '@streamsync/database';
import { DataFault } from '../failures/classify.ts';

const MAX_CACHED = 200_000;

export class EntityCache {
  private readonly ids = new Map<string, number>();

  private static k(kind: string, key: string): string {
    return `${kind}\u0000${key}`;
  }

  get(kind: string, key: string): number | undefined {
    return this.ids.get(EntityCache.k(kind, key));
  }

  /** Remember ids learnt by a committed transaction. */
  remember(kind: string, learnt: Map<string, number>): void {
    // a crude bound: the working set of a stream is far below it; when exceeded, start over
    if (this.ids.size + learnt.size > MAX_CACHED) this.ids.clear();
    for (const [key, id] of learnt) this.ids.set(EntityCache.k(kind, key), id);
  }
}

/**
 * Ids for every key of `keys` (kind fixed), creating the missing entities. Returns the map of all
 * keys and, separately, those not in the cache (to remember after commit).
 */
export async function resolveEntities(
  client: pg.PoolClient,
  cache: EntityCache,
  kind: string,
  keys: Map<string, string | null>,
): Promise<{ ids: Map<string, number>; learnt: Map<string, number> }> {
  const ids = new Map<string, number>();
  const missing: string[] = [];
  for (const key of keys.keys()) {
    const id = cache.get(kind, key);
    if (id === undefined) missing.push(key);
    else ids.set(key, id);
  }
  const learnt = new Map<string, number>();
  if (missing.length === 0) return { ids, learnt };
  // sorted, so two workers creating the same new entities lock them in the same order
  missing.sort();
  const names = missing.map((k) => keys.get(k) ?? null);
  const { rows } = await query<{ id: string; key: string }>(
    client,
    sql`WITH wanted AS (
          SELECT k, n FROM unnest(${sql.value(missing, 'text[]')}, ${sql.value(names, 'text[]')}) AS u(k, n)
        ), created AS (
          INSERT INTO public.entities (kind, key, name)
          SELECT ${sql.value(kind)}, k, n FROM wanted ORDER BY k
          ON CONFLICT (kind, key) DO NOTHING
          RETURNING id, key
        )
        SELECT id::text, key FROM created
        UNION ALL
        SELECT e.id::text, e.key FROM public.entities e JOIN wanted w ON e.key = w.k
         WHERE e.kind = ${sql.value(kind)}`,
  );
  for (const r of rows) learnt.set(r.key, Number(r.id));
  // a key another transaction created after this statement's snapshot was taken: look again
  const late = missing.filter((k) => !learnt.has(k));
  if (late.length > 0) {
    const again = await query<{ id: string; key: string }>(
      client,
      sql`SELECT id::text, key FROM public.entities
           WHERE kind = ${sql.value(kind)} AND key = ANY(${sql.value(late, 'text[]')})`,
    );
    for (const r of again.rows) learnt.set(r.key, Number(r.id));
  }
  for (const k of missing) {
    const id = learnt.get(k);
    // a key Postgres stored differently from how it was sent (the decoder refuses those it
    // knows of): the data's fault, so the chunk is split to find the message
    if (id === undefined) throw new DataFault(`entity ${kind}/${k} could not be created`);
    ids.set(k, id);
  }
  return { ids, learnt };
}
