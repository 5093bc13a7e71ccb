/**
 * The preload: N good `sensor_readings` messages into a fresh topic with the demo producer's bulk
 * mode, and, from the very same messages, the CSV file the COPY side loads: the rows the worker
 * will make of them (entity id, time, °C, humidity, hPa, V, dew point).
 */
import fs from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { produceBulk, type BulkResult } from '@streamsync/etl-worker/producer';
import type { SensorReading } from '@streamsync/etl-worker/producer';

/** CSV lines are written in chunks of this many (one write() each) */
const CSV_CHUNK = 20_000;

export interface PreloadOptions {
  brokers: string[];
  topic: string;
  count: number;
  partitions: number;
  sensors: number;
  /** device key → entities.id */
  entityIds: Map<string, number>;
  csvPath: string;
  /** the event times cover the last `spanMs`, so the rows fall in existing partitions */
  spanMs: number;
}

/**
 * The row the sensor_readings pipeline makes of a reading, computed in the same order as the
 * worker (etl-worker/src/pipeline/units.ts and the declared transform), so both sides store the
 * same numbers: °F → °C as (x·5 − 160) / 9, mV → V as x / 1000, then
 * dew_point = temperature − (100 − humidity) / 5.
 */
export function csvLine(r: SensorReading, entityId: number): string {
  const temperature = (r.temp_f * 5 - 160) / 9;
  const battery = r.battery_mv / 1000;
  const dewPoint = temperature - (100 - r.humidity) / 5;
  return `${entityId},${r.time},${temperature},${r.humidity},${r.pressure_hpa},${battery},${dewPoint}\n`;
}

export async function preload(opts: PreloadOptions): Promise<BulkResult> {
  const fd = fs.openSync(opts.csvPath, 'w', 0o644);
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    fs.writeSync(fd, lines.join(''));
    lines = [];
  };
  const kafka = new Kafka({
    clientId: 'bench-ingest-preload',
    brokers: opts.brokers,
    logLevel: logLevel.ERROR,
  });
  try {
    const result = await produceBulk({
      kafka,
      stream: 'sensor_readings',
      count: opts.count,
      topic: opts.topic,
      badRatio: 0,
      partitions: opts.partitions,
      sensors: opts.sensors,
      // the same data every run: runs are comparable
      seed: 20251127,
      spanMs: opts.spanMs,
      onGood: ({ key, record }) => {
        const id = opts.entityIds.get(key);
        if (id === undefined) throw new Error(`no entity for ${key}`);
        lines.push(csvLine(record as SensorReading, id));
        if (lines.length >= CSV_CHUNK) flush();
      },
    });
    flush();
    return result;
  } finally {
    fs.closeSync(fd);
    // the server reads it as the postgres user
    fs.chmodSync(opts.csvPath, 0o644);
  }
}
