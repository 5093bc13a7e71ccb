/**
 * The demo streams as the producer sends them: which topic, which key, and the mix of good and
 * broken messages. The key is the series (device_id, symbol), so a series stays in one partition
 * and its points arrive in order.
 */
import { breakMessage, pickBadKind, type BadKind, type BadShape } from './bad-messages.ts';
import type { Rng } from './random.ts';
import { encodeReading, SensorFleet, type SensorReading } from './sensors.ts';
import { encodeTrade, TradeTape, type Trade } from './trades.ts';

export const STREAM_NAMES = ['sensor_readings', 'market_trades'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

/** The topics the seeded pipelines read. */
export const STREAM_TOPICS: Record<StreamName, string> = {
  sensor_readings: 'sensor-readings',
  market_trades: 'market-trades',
};

export type DemoRecord = SensorReading | Trade;

export interface OutMessage {
  key: string;
  value: string | Buffer;
  /** set on a broken message */
  bad?: BadKind;
  /** the good message as sent (absent on a broken one) */
  record?: DemoRecord;
}

export interface StreamOptions {
  rng: Rng;
  /** share of broken messages, 0..1 */
  badRatio: number;
  /** sensor_readings: how many sensors */
  sensors: number;
  /** market_trades: prefix of this run's trade ids */
  tradeIdPrefix: string;
}

const SHAPES: Record<StreamName, BadShape> = {
  sensor_readings: {
    timeField: 'time',
    farFuture: (ms) => new Date(ms).toISOString(),
    wrongType: (rng) =>
      rng.chance(0.5) ? ['temp_f', 'warm'] : ['humidity', { value: 40, unit: '%' }],
  },
  market_trades: {
    timeField: 'ts',
    farFuture: (ms) => ms,
    wrongType: (rng) => (rng.chance(0.5) ? ['px', 'n/a'] : ['qty', [1, 2]]),
  },
};

export interface DemoStream {
  readonly name: StreamName;
  /** the series keys it sends */
  readonly keys: string[];
  /** The next message at tsMs; undefined when no series sends at that time (all silent). */
  next(tsMs: number): OutMessage | undefined;
  /** How busy the stream is at tsMs, relative to its average (trades burst). */
  activity(tsMs: number): number;
}

export function createStream(name: StreamName, opts: StreamOptions): DemoStream {
  const { rng, badRatio } = opts;
  const shape = SHAPES[name];
  const withBad = (key: string, record: DemoRecord, text: string, tsMs: number): OutMessage => {
    if (badRatio > 0 && rng.next() < badRatio) {
      const bad = pickBadKind(rng);
      return {
        key,
        bad,
        value: breakMessage(bad, record as unknown as Record<string, unknown>, shape, rng, tsMs),
      };
    }
    return { key, value: text, record };
  };

  switch (name) {
    case 'sensor_readings': {
      const fleet = new SensorFleet(opts.sensors);
      return {
        name,
        keys: fleet.keys,
        next(tsMs) {
          const r = fleet.next(tsMs);
          return r && withBad(r.device_id, r, encodeReading(r), tsMs);
        },
        activity: () => 1,
      };
    }
    case 'market_trades': {
      const tape = new TradeTape(rng, opts.tradeIdPrefix);
      return {
        name,
        keys: tape.symbols,
        next(tsMs) {
          const t = tape.next(tsMs);
          return withBad(t.symbol, t, encodeTrade(t), tsMs);
        },
        // a burst triples the trade rate for its few seconds; the rest of the time is a little
        // quieter, so the average stays near the configured rate
        activity: (tsMs) => (tape.burstingAt(tsMs) ? 3 : 0.9),
      };
    }
  }
}
