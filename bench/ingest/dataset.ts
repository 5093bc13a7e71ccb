/**
 * The bench database's side of a load run: the sensor entities the preloaded messages name, and
 * the sensor_readings pipeline pointed at the run's own topic with every other pipeline off, so
 * the worker loads exactly what was preloaded (bench/ingest and bench/scale share it).
 */
import type pg from 'pg';
import { query, sql } from '@streamsync/database';
import { sensorKey } from '@streamsync/etl-worker/producer';

/** The entity ids of the bench sensors, creating those the seeds do not have. */
export async function sensorEntities(
  client: pg.Client,
  sensors: number,
): Promise<Map<string, number>> {
  const keys = Array.from({ length: sensors }, (_, i) => sensorKey(i));
  await query(
    client,
    sql`INSERT INTO public.entities (kind, key) SELECT 'sensor', k FROM unnest(${sql.value(keys, 'text[]')}) AS k
        ON CONFLICT (kind, key) DO NOTHING`,
  );
  const { rows } = await query<{ key: string; id: string }>(
    client,
    sql`SELECT key, id::text FROM public.entities WHERE kind = 'sensor' AND key = ANY(${sql.value(keys, 'text[]')})`,
  );
  return new Map(rows.map((r) => [r.key, Number(r.id)]));
}

/** Only the sensor_readings pipeline enabled, reading `topic`. */
export async function onlySensorPipelineOn(client: pg.Client, topic: string): Promise<void> {
  await query(
    client,
    sql`UPDATE etl.pipelines SET enabled = (name = 'sensor_readings'),
               topics = CASE WHEN name = 'sensor_readings' THEN ARRAY[${sql.value(topic)}] ELSE topics END`,
  );
}
