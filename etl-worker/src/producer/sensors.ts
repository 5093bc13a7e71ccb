/**
 * The `sensor_readings` demo stream: a fleet of environmental sensors, each with its own climate.
 * Temperature follows the time of day at the sensor's site, wanders (a mean-reverting random walk)
 * and has measurement noise; humidity moves against temperature; pressure drifts slowly; the
 * battery drains and is replaced when low. Now and then a sensor goes silent for a few minutes, so
 * the dashboard and the rollups see gaps.
 *
 * The message shape is the one the seeded pipeline declares:
 * {"device_id": "sensor-0001", "time": ISO-8601 with Z, "temp_f", "humidity", "pressure_hpa",
 *  "battery_mv"}.
 */
import type { Rng } from './random.ts';

export interface SensorReading {
  device_id: string;
  time: string;
  temp_f: number;
  humidity: number;
  pressure_hpa: number;
  battery_mv: number;
}

/** A mean-reverting random walk (Ornstein-Uhlenbeck), exact for any step length. */
class Wander {
  value = 0;
  constructor(
    /** how fast it returns to 0, 1/s */
    private readonly theta: number,
    /** its spread around 0 in the long run */
    private readonly sd: number,
  ) {}

  // readings of a sensor are mostly evenly spaced: keep the factors of the last step length
  private lastDt = NaN;
  private decay = 0;
  private spread = 0;

  step(rng: Rng, dtS: number): number {
    if (dtS !== this.lastDt) {
      this.lastDt = dtS;
      this.decay = Math.exp(-this.theta * dtS);
      this.spread = this.sd * Math.sqrt(1 - this.decay * this.decay);
    }
    this.value = this.value * this.decay + this.spread * rng.gauss();
    return this.value;
  }
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** a sensor goes silent about once every few hours, for one to eight minutes */
const MEAN_MS_BETWEEN_GAPS = 3 * HOUR_MS;
const GAP_MIN_MS = 60_000;
const GAP_MAX_MS = 8 * 60_000;
const BATTERY_FULL_MV = 4200;
const BATTERY_REPLACE_MV = 3000;

class Sensor {
  readonly key: string;
  private readonly baseF: number;
  private readonly swingF: number;
  /** the site's offset from UTC, hours: its afternoon peak comes at a different UTC hour */
  private readonly utcOffsetH: number;
  private readonly baseHumidity: number;
  private readonly basePressure: number;
  private readonly drainMvPerHour: number;
  private readonly weather = new Wander(1 / (2 * 3600), 3); // °F, hours-long spells
  private readonly damp = new Wander(1 / 3600, 6); // % humidity
  private readonly front = new Wander(1 / (12 * 3600), 5); // hPa, slow pressure systems
  private batteryMv: number;
  private lastTs = -Infinity;
  private silentUntil = -Infinity;

  constructor(index: number, rng: Rng) {
    this.key = sensorKey(index);
    this.baseF = rng.between(55, 78);
    this.swingF = rng.between(4, 14);
    this.utcOffsetH = rng.int(24) - 11;
    this.baseHumidity = rng.between(30, 70);
    this.basePressure = rng.between(1003, 1023);
    this.drainMvPerHour = rng.between(2, 12);
    this.batteryMv = rng.between(3400, BATTERY_FULL_MV);
  }

  /** True when the sensor sends nothing at tsMs. */
  silentAt(tsMs: number): boolean {
    return tsMs < this.silentUntil;
  }

  /** Its reading at tsMs; times of one sensor always increase (the natural key is entity, ts). */
  read(rng: Rng, tsMs: number): SensorReading {
    const ts = Math.max(Math.round(tsMs), this.lastTs + 1);
    const dtS = Number.isFinite(this.lastTs) ? (ts - this.lastTs) / 1000 : 3600;
    this.lastTs = ts;
    if (rng.chance((dtS * 1000) / MEAN_MS_BETWEEN_GAPS)) {
      this.silentUntil = ts + rng.between(GAP_MIN_MS, GAP_MAX_MS);
    }

    // warmest around 15:00 local time, coolest around 03:00
    const localHour = ((((ts + this.utcOffsetH * HOUR_MS) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    const daily = Math.cos((2 * Math.PI * (localHour - 15)) / 24);
    const tempF =
      this.baseF + this.swingF * daily + this.weather.step(rng, dtS) + 0.3 * rng.gauss();
    const humidity =
      this.baseHumidity - 1.1 * (tempF - this.baseF) + this.damp.step(rng, dtS) + 0.5 * rng.gauss();
    const pressure = this.basePressure + this.front.step(rng, dtS) + 0.08 * rng.gauss();

    this.batteryMv -= (this.drainMvPerHour * dtS) / 3600;
    if (this.batteryMv < BATTERY_REPLACE_MV) this.batteryMv = BATTERY_FULL_MV - rng.between(0, 60);

    return {
      device_id: this.key,
      time: isoTime(ts),
      temp_f: round(tempF, 100),
      humidity: round(Math.min(100, Math.max(2, humidity)), 10),
      pressure_hpa: round(pressure, 10),
      battery_mv: Math.round(this.batteryMv + 3 * rng.gauss()),
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

  constructor(
    count: number,
    private readonly rng: Rng,
  ) {
    this.sensors = Array.from({ length: count }, (_, i) => new Sensor(i, rng));
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
      if (!sensor.silentAt(tsMs)) return sensor.read(this.rng, tsMs);
    }
    return undefined;
  }
}
