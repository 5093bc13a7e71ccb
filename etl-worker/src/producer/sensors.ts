/**
 * The `sensor_readings` demo stream: a fleet of environmental sensors, each with its own climate.
 * Temperature follows the time of day at the sensor's site, wanders in spells of warmer or cooler
 * weather and has measurement noise; humidity moves against temperature; pressure drifts with slow
 * weather systems; the battery drains and is replaced when low.
 *
 * Every value is a function of (sensor, time) — see series-noise.ts — so a restarted producer
 * continues each series where it left off, and a sensor's climate is the same on every start.
 * Silences are declared, not random: every tenth sensor from the seventh (sensor-0007, -0017, …)
 * is silent for the first two minutes of every hour, so the rollups and the dashboard always have
 * a gap to show; every other sensor reports at every turn.
 *
 * The message shape is the one the seeded pipeline declares:
 * {"device_id": "sensor-0001", "time": ISO-8601 with Z, "temp_f", "humidity", "pressure_hpa",
 *  "battery_mv"}.
 */
import { DEMO_SEED, gaussAt, uniformAt, wander } from './series-noise.ts';

export interface SensorReading {
  device_id: string;
  time: string;
  temp_f: number;
  humidity: number;
  pressure_hpa: number;
  battery_mv: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const BATTERY_FULL_MV = 4200;
const BATTERY_REPLACE_MV = 3000;

/** The declared silences: which sensors (0-based index), and when in each hour. */
export const SILENCE = { everyNth: 10, offset: 6, fromMinute: 0, toMinute: 2 } as const;

/** True when the sensor with this 0-based index is silent at tsMs (declared gaps only). */
export function silentAt(index: number, tsMs: number): boolean {
  if (index % SILENCE.everyNth !== SILENCE.offset) return false;
  const minute = Math.floor((((tsMs % HOUR_MS) + HOUR_MS) % HOUR_MS) / MINUTE_MS);
  return minute >= SILENCE.fromMinute && minute < SILENCE.toMinute;
}

/** Metric keys of a sensor: separate noise per metric. */
const TEMP = 1;
const DAMP = 2;
const FRONT = 3;
const NOISE = 4;

class Sensor {
  readonly key: string;
  private readonly id: number;
  private readonly baseF: number;
  private readonly swingF: number;
  /** the site's offset from UTC, hours: its afternoon peak comes at a different UTC hour */
  private readonly utcOffsetH: number;
  private readonly baseHumidity: number;
  private readonly basePressure: number;
  private readonly drainMvPerHour: number;
  private readonly batteryPhaseMs: number;
  private lastTs = -Infinity;

  constructor(readonly index: number) {
    this.key = sensorKey(index);
    this.id = index + 1;
    // the climate comes from the sensor's number, not from the run
    const u = (k: number) => uniformAt(DEMO_SEED, this.id, 1_000 + k);
    this.baseF = 55 + 23 * u(0);
    this.swingF = 4 + 10 * u(1);
    this.utcOffsetH = Math.floor(24 * u(2)) - 11;
    this.baseHumidity = 30 + 40 * u(3);
    this.basePressure = 1003 + 20 * u(4);
    this.drainMvPerHour = 2 + 10 * u(5);
    const cycleMs = ((BATTERY_FULL_MV - BATTERY_REPLACE_MV) / this.drainMvPerHour) * HOUR_MS;
    this.batteryPhaseMs = cycleMs * u(6);
  }

  silentAt(tsMs: number): boolean {
    return silentAt(this.index, tsMs);
  }

  /** Its reading at tsMs; times of one sensor always increase (the natural key is entity, ts). */
  read(tsMs: number): SensorReading {
    const ts = Math.max(Math.round(tsMs), this.lastTs + 1);
    this.lastTs = ts;
    const key = this.id * 16;
    const slot = Math.floor(ts / 1000);

    // warmest around 15:00 local time, coolest around 03:00
    const localHour = ((((ts + this.utcOffsetH * HOUR_MS) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    const daily = Math.cos((2 * Math.PI * (localHour - 15)) / 24);
    const weather = wander(DEMO_SEED, key + TEMP, ts, 3, [
      2 * HOUR_MS,
      20 * MINUTE_MS,
      3 * MINUTE_MS,
    ]);
    const tempF =
      this.baseF + this.swingF * daily + weather + 0.3 * gaussAt(DEMO_SEED, key + NOISE, slot);
    const damp = wander(DEMO_SEED, key + DAMP, ts, 6, [HOUR_MS, 10 * MINUTE_MS]);
    const humidity =
      this.baseHumidity -
      1.1 * (tempF - this.baseF) +
      damp +
      0.5 * gaussAt(DEMO_SEED, key + NOISE, slot + 1);
    const front = wander(DEMO_SEED, key + FRONT, ts, 5, [12 * HOUR_MS, 2 * HOUR_MS]);
    const pressure = this.basePressure + front + 0.08 * gaussAt(DEMO_SEED, key + NOISE, slot + 2);

    // a sawtooth: drains at the sensor's rate, replaced with a full one when low
    const spanMv = BATTERY_FULL_MV - BATTERY_REPLACE_MV;
    const cycleMs = (spanMv / this.drainMvPerHour) * HOUR_MS;
    const into = (((ts + this.batteryPhaseMs) % cycleMs) + cycleMs) % cycleMs;
    const batteryMv = BATTERY_FULL_MV - (into / cycleMs) * spanMv;

    return {
      device_id: this.key,
      time: isoTime(ts),
      temp_f: round(tempF, 100),
      humidity: round(Math.min(100, Math.max(2, humidity)), 10),
      pressure_hpa: round(pressure, 10),
      battery_mv: Math.round(batteryMv + 3 * gaussAt(DEMO_SEED, key + NOISE, slot + 3)),
    };
  }
}

/**
 * Date#toISOString() is a large share of a reading's cost; consecutive readings mostly fall in
 * the same minute, so format only the seconds and reuse the rest.
 */
let minuteStart = NaN;
let minutePrefix = '';
export function isoTime(ms: number): string {
  const inMinute = ms - minuteStart;
  if (!(inMinute >= 0 && inMinute < 60_000)) {
    minuteStart = ms - (((ms % 60_000) + 60_000) % 60_000);
    minutePrefix = new Date(minuteStart).toISOString().slice(0, 17); // 2025-11-27T10:42:
    return isoTime(ms);
  }
  const sec = Math.floor(inMinute / 1000);
  const milli = inMinute - sec * 1000;
  return `${minutePrefix}${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** The message text: JSON.stringify's, built directly (keys and times need no escaping). */
export function encodeReading(r: SensorReading): string {
  return `{"device_id":"${r.device_id}","time":"${r.time}","temp_f":${r.temp_f},"humidity":${r.humidity},"pressure_hpa":${r.pressure_hpa},"battery_mv":${r.battery_mv}}`;
}

export function sensorKey(index: number): string {
  return `sensor-${String(index + 1).padStart(4, '0')}`;
}

function round(x: number, scale: number): number {
  return Math.round(x * scale) / scale;
}

/**
 * The fleet takes turns: each call reads the next sensor in order, so every sensor reports at the
 * same cadence and the readings of one sensor are `count` calls apart. A silent sensor's turn goes
 * to the next one.
 */
export class SensorFleet {
  private readonly sensors: Sensor[];
  private turn = 0;

  constructor(count: number) {
    this.sensors = Array.from({ length: count }, (_, i) => new Sensor(i));
  }

  get keys(): string[] {
    return this.sensors.map((s) => s.key);
  }

  /** The next reading at tsMs, or undefined when every sensor is silent then. */
  next(tsMs: number): SensorReading | undefined {
    const n = this.sensors.length;
    for (let tries = 0; tries < n; tries++) {
      const sensor = this.sensors[this.turn]!;
      this.turn = (this.turn + 1) % n;
      if (!sensor.silentAt(tsMs)) return sensor.read(tsMs);
    }
    return undefined;
  }
}
