/**
 * Alert rules evaluated by the worker in the batch transaction, against the real broker and
 * Postgres: a rule fires with the point that completes its duration, resolves with the point that
 * clears it, one alert per episode however often the points are redelivered; rules that do not
 * match an entity leave it alone; changing a rule resolves what it fired.
 */
import { describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { waitFor } from '@streamsync/testing';
import {
  producer,
  sensorSetup,
  startWorker,
  uid,
  useWorkerCleanup,
  waitForConsumed,
  type SensorSetup,
} from './harness.ts';

useWorkerCleanup();

/** A reading of `device` at `ms` with a temperature in °C (the pipeline converts from °F). */
function reading(device: string, ms: number, celsius: number) {
  return {
    key: device,
    partition: 0,
    value: JSON.stringify({
      device_id: device,
      time: new Date(ms).toISOString(),
      temp_f: celsius * 1.8 + 32,
      humidity: 50,
      pressure_hpa: 1000,
      battery_mv: 3700,
    }),
  };
}

interface AlertRow {
  entity_id: string;
  state: string;
  started_ms: number;
  fired_ms: number;
  fired_value: number;
  resolved_ms: number | null;
  resolved_value: number | null;
  resolved_reason: string | null;
  rule_name: string;
  threshold: number;
}

async function alerts(s: SensorSetup, ruleId: string): Promise<AlertRow[]> {
  const { rows } = await query<AlertRow>(
    s.db.pool,
    sql`SELECT entity_id::text, state, rule_name, threshold,
               (extract(epoch FROM started_at) * 1000)::float8 AS started_ms,
               (extract(epoch FROM fired_at) * 1000)::float8 AS fired_ms, fired_value,
               (extract(epoch FROM resolved_at) * 1000)::float8 AS resolved_ms, resolved_value,
               resolved_reason
          FROM public.alerts WHERE rule_id = ${sql.value(ruleId)}::uuid ORDER BY id`,
  );
  return rows;
}

async function entityOf(s: SensorSetup, key: string): Promise<string> {
  return waitFor(`entity ${key}`, async () => {
    const { rows } = await query<{ id: string }>(
      s.db.pool,
      sql`SELECT id::text FROM public.entities WHERE kind = 'sensor' AND key = ${sql.value(key)}`,
    );
    return rows[0]?.id;
  });
}

describe('ETL worker > alerts', () => {
  it('should fire once the offending points last long enough, resolve on a clearing point, and never twice', async () => {
    const s = await sensorSetup({ devices: 2 });
    const hot = `hot-${uid(3)}`;
    const calm = `calm-${uid(3)}`;
    const { rows } = await query<{ id: string }>(
      s.db.pool,
      sql`INSERT INTO public.alert_rules (name, stream, metric, op, threshold, for_seconds)
          VALUES ('too warm', 'sensor_readings', 'temperature', 'above', 30, 2) RETURNING id::text`,
    );
    const ruleId = rows[0]!.id;
    const worker = await startWorker({
      databaseUrl: s.db.url,
      brokers: s.brokers,
      groupId: s.group,
      deadLetterTopic: s.deadLetterTopic,
      name: 'alerts',
    });
    const kafka = await producer(s.brokers);
    const t0 = Date.now() - 60_000;
    const temps = [20, 35, 36, 37, 38, 25, 24];
    const msgs = temps.map((c, i) => reading(hot, t0 + i * 1000, c));
    // the calm sensor crosses the threshold for less than the rule's two seconds
    msgs.push(reading(calm, t0, 31), reading(calm, t0 + 1500, 32), reading(calm, t0 + 3000, 20));
    await kafka.send(s.topic, msgs);
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });

    const hotId = await entityOf(s, hot);
    const got = await waitFor('the alert, resolved', async () => {
      const a = await alerts(s, ruleId);
      return a.length === 1 && a[0]!.state === 'resolved' ? a : undefined;
    });
    expect(got[0]).toMatchObject({
      entity_id: hotId,
      rule_name: 'too warm',
      threshold: 30,
      started_ms: t0 + 1000,
      fired_ms: t0 + 3000,
      resolved_ms: t0 + 5000,
      resolved_reason: 'cleared',
    });
    expect(got[0]!.fired_value).toBeCloseTo(37, 9);
    expect(got[0]!.resolved_value).toBeCloseTo(25, 9);

    // the same points again (a producer retry): nothing new fires
    await kafka.send(s.topic, msgs);
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    expect(await alerts(s, ruleId)).toHaveLength(1);

    // a new episode fires at once with for_seconds 0, for that entity only
    await query(
      s.db.pool,
      sql`UPDATE public.alert_rules SET for_seconds = 0, entity_ids = ${sql.value(JSON.stringify([Number(hotId)]))}::jsonb
           WHERE id = ${sql.value(ruleId)}::uuid`,
    );
    const t1 = t0 + 30_000;
    await kafka.send(s.topic, [reading(hot, t1, 40), reading(calm, t1, 45)]);
    const firing = await waitFor('the second alert', async () => {
      const a = await alerts(s, ruleId);
      return a.length === 2 ? a : undefined;
    });
    expect(firing[1]).toMatchObject({ entity_id: hotId, state: 'firing', fired_ms: t1 });

    // disabling the rule resolves what it fired
    await query(
      s.db.pool,
      sql`UPDATE public.alert_rules SET enabled = false WHERE id = ${sql.value(ruleId)}::uuid`,
    );
    const after = await alerts(s, ruleId);
    expect(after[1]).toMatchObject({ state: 'resolved', resolved_reason: 'rule_disabled' });
    await kafka.send(s.topic, [reading(hot, t1 + 1000, 50)]);
    await waitForConsumed(s.db.pool, s.brokers, s.group, s.topic, { workers: [worker] });
    expect(await alerts(s, ruleId)).toHaveLength(2);
  });
});
