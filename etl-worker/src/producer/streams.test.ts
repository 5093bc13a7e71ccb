import { describe, expect, it } from 'vitest';
import { BAD_KINDS } from './bad-messages.ts';
import { createRng } from './random.ts';
import { encodeReading, isoTime, type SensorReading } from './sensors.ts';
import { createStream, type OutMessage, type StreamName } from './streams.ts';
import { encodeTrade, type Trade } from './trades.ts';

const T0 = Date.parse('2025-11-27T00:00:00.000Z');
/** the instruments the seeds declare */
const SEEDED_SYMBOLS = [
  'BTC-USD',
  'ETH-USD',
  'SOL-USD',
  'EUR-USD',
  'GBP-USD',
  'AAPL',
  'MSFT',
  'NVDA',
];
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/** The first few items that fail `ok` (an empty list when all pass: one cheap assertion). */
function offending<T>(items: T[], ok: (item: T, index: number) => boolean): T[] {
  const out: T[] = [];
  for (let i = 0; i < items.length && out.length < 5; i++)
    if (!ok(items[i]!, i)) out.push(items[i]!);
  return out;
}

function stream(name: StreamName, badRatio = 0, seed = 1, sensors = 50) {
  return createStream(name, { rng: createRng(seed), badRatio, sensors, tradeIdPrefix: 'test-' });
}

/** `count` messages, one every `stepMs` from T0. */
function take(name: StreamName, count: number, stepMs: number, badRatio = 0, seed = 1) {
  const s = stream(name, badRatio, seed);
  const out: OutMessage[] = [];
  for (let i = 0; out.length < count; i++) {
    const m = s.next(T0 + i * stepMs);
    if (m) out.push(m);
  }
  return out;
}

describe('Producer > Sensor stream', () => {
  const messages = take('sensor_readings', 20_000, 200);
  const readings = messages.map((m) => JSON.parse(String(m.value)) as SensorReading);

  it('should send the fields the sensor_readings pipeline declares, with the types it expects', () => {
    const fields = ['battery_mv', 'device_id', 'humidity', 'pressure_hpa', 'temp_f', 'time'];
    const inRange = (v: unknown, min: number, max: number) =>
      typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
    expect(
      offending(
        readings,
        (r) =>
          Object.keys(r).sort().join() === fields.join() &&
          /^sensor-00(0[1-9]|[1-4]\d|50)$/.test(r.device_id) &&
          ISO_Z.test(r.time) &&
          inRange(r.temp_f, 0, 120) &&
          inRange(r.humidity, 0, 100) &&
          inRange(r.pressure_hpa, 950, 1070) &&
          inRange(r.battery_mv, 2900, 4300) &&
          Number.isInteger(r.battery_mv),
      ),
    ).toEqual([]);
  });

  it('should key each message by its device and use all 50 seeded sensors', () => {
    expect(offending(messages, (m, i) => m.key === readings[i]!.device_id)).toEqual([]);
    expect(new Set(readings.map((r) => r.device_id)).size).toBe(50);
  });

  it('should give each sensor strictly increasing times, with gaps when it goes silent', () => {
    const last = new Map<string, number>();
    let longestSilenceMs = 0;
    for (const r of readings) {
      const t = Date.parse(r.time);
      const prev = last.get(r.device_id);
      if (prev !== undefined) {
        expect(t).toBeGreaterThan(prev);
        longestSilenceMs = Math.max(longestSilenceMs, t - prev);
      }
      last.set(r.device_id, t);
    }
    // a sensor reports every ~10 s here (50 sensors, one message per 200 ms); a gap is minutes
    expect(longestSilenceMs).toBeGreaterThan(60_000);
  });

  it('should drain the batteries and move the temperature through the day', () => {
    const one = readings.filter((r) => r.device_id === 'sensor-0007');
    const first = one.slice(0, 20).reduce((s, r) => s + r.battery_mv, 0) / 20;
    const lastOnes = one.slice(-20).reduce((s, r) => s + r.battery_mv, 0) / 20;
    expect(lastOnes).toBeLessThan(first); // 400 readings over about an hour
    // a day at one reading every 10 min: more swing than the measurement noise alone
    const day = take('sensor_readings', 50 * 144, 12_000, 0, 3)
      .map((m) => JSON.parse(String(m.value)) as SensorReading)
      .filter((r) => r.device_id === 'sensor-0003')
      .map((r) => r.temp_f);
    expect(Math.max(...day) - Math.min(...day)).toBeGreaterThan(5);
  });

  it('should continue every series where it was after a restart, with no silence at start', () => {
    // a producer started at T1 (another run: another seed) sends what the first would have sent
    const T1 = T0 + 37 * 60_000 + 123;
    const fresh = stream('sensor_readings', 0, 99);
    const round = Array.from({ length: 50 }, (_, i) => fresh.next(T1 + i * 200)!);
    expect(new Set(round.map((m) => m.key)).size).toBe(50); // every sensor at its first turn
    const again = stream('sensor_readings', 0, 12345);
    const twin = Array.from({ length: 50 }, (_, i) => again.next(T1 + i * 200)!);
    expect(twin.map((m) => m.value)).toEqual(round.map((m) => m.value));
    // and close to where the first run's readings of the same sensors were
    const before = readings.filter((r) => Math.abs(Date.parse(r.time) - T1) < 30_000);
    const now = new Map(round.map((m) => [m.key, JSON.parse(String(m.value)) as SensorReading]));
    const jumps = before.map((r) => Math.abs(r.temp_f - now.get(r.device_id)!.temp_f));
    expect(jumps.length).toBeGreaterThan(20);
    expect(Math.max(...jumps)).toBeLessThan(3);
  });

  it('should be silent only as declared: every tenth sensor from the seventh, two minutes an hour', () => {
    const quiet = new Set<string>();
    const s = stream('sensor_readings');
    for (let i = 0; i < 50 * 10; i++) quiet.add(s.next(T0 + 30_000 + i * 100)!.key);
    expect([...quiet].length).toBe(45);
    expect(
      ['sensor-0007', 'sensor-0017', 'sensor-0027', 'sensor-0037', 'sensor-0047'].some((k) =>
        quiet.has(k),
      ),
    ).toBe(false);
  });

  it('should encode a reading exactly as JSON.stringify would', () => {
    expect(offending(readings, (r) => encodeReading(r) === JSON.stringify(r))).toEqual([]);
  });

  it('should format times as Date#toISOString does, across minute and day boundaries', () => {
    const times = Array.from({ length: 7200 }, (_, i) => T0 - 3_600_000 + i * 997);
    expect(offending(times, (ms) => isoTime(ms) === new Date(ms).toISOString())).toEqual([]);
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('Producer > Trade stream', () => {
  const messages = take('market_trades', 20_000, 50);
  const trades = messages.map((m) => JSON.parse(String(m.value)) as Trade);

  it('should send the fields the market_trades pipeline declares, with the types it expects', () => {
    const fields = ['id', 'px', 'qty', 'side', 'symbol', 'ts'];
    expect(
      offending(
        trades,
        (t) =>
          Object.keys(t).sort().join() === fields.join() &&
          typeof t.id === 'string' &&
          SEEDED_SYMBOLS.includes(t.symbol) &&
          Number.isInteger(t.ts) &&
          t.ts >= T0 &&
          DECIMAL.test(t.px) &&
          Number(t.px) > 0 &&
          DECIMAL.test(t.qty) &&
          Number(t.qty) > 0 && // the pipeline filters size > 0
          (t.side === 'buy' || t.side === 'sell'),
      ),
    ).toEqual([]);
  });

  it('should give every trade its own id and trade every seeded instrument', () => {
    expect(new Set(trades.map((t) => t.id)).size).toBe(trades.length);
    expect(new Set(trades.map((t) => t.symbol))).toEqual(new Set(SEEDED_SYMBOLS));
  });

  it('should key each trade by its symbol and keep one precision per instrument', () => {
    const decimals = new Map<string, Set<number>>();
    expect(offending(trades, (t, i) => messages[i]!.key === t.symbol)).toEqual([]);
    for (const t of trades) {
      const d = (t.px.split('.')[1] ?? '').length;
      decimals.set(t.symbol, (decimals.get(t.symbol) ?? new Set()).add(d));
    }
    for (const set of decimals.values()) expect(set.size).toBe(1);
    expect([...decimals.get('BTC-USD')!]).toEqual([2]);
    expect([...decimals.get('EUR-USD')!]).toEqual([5]);
  });

  it('should walk prices rather than jump: consecutive prints of a symbol stay close', () => {
    const last = new Map<string, number>();
    let largestMove = 0;
    for (const t of trades) {
      const px = Number(t.px);
      const prev = last.get(t.symbol);
      if (prev !== undefined) largestMove = Math.max(largestMove, Math.abs(px / prev - 1));
      last.set(t.symbol, px);
    }
    expect(largestMove).toBeLessThan(0.02);
    const btc = trades.filter((t) => t.symbol === 'BTC-USD').map((t) => Number(t.px));
    expect(new Set(btc).size).toBeGreaterThan(btc.length / 2); // it moves
  });

  it('should continue every price where it was after a restart', () => {
    const a = stream('market_trades', 0, 1);
    const b = stream('market_trades', 0, 2);
    const T1 = T0 + 5 * 3_600_000;
    const seen = new Map<string, number>();
    let matched = 0;
    for (let i = 0; i < 2000; i++) {
      for (const t of [a.next(T1 + i * 10), b.next(T1 + i * 10)]) {
        const px = Number((JSON.parse(String(t!.value)) as Trade).px);
        const key = `${t!.key}@${i}`;
        const other = seen.get(key);
        if (other === undefined) seen.set(key, px);
        else {
          // the same instant of the same instrument in two runs: the same mid, give or take the
          // bid/ask bounce
          expect(Math.abs(px / other - 1)).toBeLessThan(0.001);
          matched++;
        }
      }
    }
    expect(matched).toBeGreaterThan(50);
  });

  it('should encode a trade exactly as JSON.stringify would', () => {
    expect(offending(trades, (t) => encodeTrade(t) === JSON.stringify(t))).toEqual([]);
  });
});

describe('Producer > Bad messages', () => {
  const decoder = new TextDecoder('utf-8', { fatal: true });

  /** Why a message cannot be loaded as a good one, or undefined when it could be. */
  function defect(stream: StreamName, value: string | Buffer, nowMs: number): string | undefined {
    let text: string;
    try {
      text = typeof value === 'string' ? value : decoder.decode(value);
    } catch {
      return 'invalid_utf8';
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'not json';
    }
    if (Array.isArray(parsed)) return 'json_array';
    if (typeof parsed !== 'object' || parsed === null) return 'not an object';
    const o = parsed as Record<string, unknown>;
    if (stream === 'sensor_readings') {
      if (typeof o.time !== 'string') return 'missing_time';
      if (Date.parse(o.time) > nowMs + 30 * 86_400_000) return 'far_future';
      for (const f of ['temp_f', 'humidity', 'pressure_hpa', 'battery_mv'])
        if (typeof o[f] !== 'number') return 'wrong_type';
    } else {
      if (typeof o.ts !== 'number') return 'missing_time';
      if (o.ts > nowMs + 30 * 86_400_000) return 'far_future';
      for (const f of ['px', 'qty']) {
        if (typeof o[f] !== 'string' || !DECIMAL.test(o[f])) return 'wrong_type';
      }
    }
    return undefined;
  }

  for (const name of ['sensor_readings', 'market_trades'] as const) {
    it(`should break about PRODUCER_BAD_RATIO of the ${name} messages, in every way`, () => {
      const n = 100_000;
      const messages = take(name, n, 20, 0.01, 7);
      const bad = messages.filter((m) => m.bad);
      // binomial(100000, 0.01): mean 1000, sd ≈ 31
      expect(bad.length).toBeGreaterThan(850);
      expect(bad.length).toBeLessThan(1150);
      expect(new Set(bad.map((m) => m.bad))).toEqual(new Set(BAD_KINDS));
      const keyPattern = name === 'sensor_readings' ? /^sensor-\d{4}$/ : /^[A-Z]/;
      expect(
        offending(messages, (m) => {
          const why = defect(name, m.value, T0 + n * 20);
          // a broken message still goes to its series' partition
          return (
            (m.bad ? why !== undefined && !m.record : why === undefined) && keyPattern.test(m.key)
          );
        }).map((m) => `${m.bad ?? 'good'}: ${String(m.value)}`),
      ).toEqual([]);
    });
  }

  it('should send no broken message when the ratio is 0', () => {
    expect(take('sensor_readings', 20_000, 20, 0).filter((m) => m.bad)).toEqual([]);
  });

  it('should repeat a stream exactly for the same seed', () => {
    const a = take('market_trades', 1000, 10, 0.05, 42).map((m) => String(m.value));
    const b = take('market_trades', 1000, 10, 0.05, 42).map((m) => String(m.value));
    expect(a).toEqual(b);
  });
});
