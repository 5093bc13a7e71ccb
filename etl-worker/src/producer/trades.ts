/**
 * The `market_trades` demo stream: trades of the eight seeded instruments. Each mid price wanders
 * in log space around its start (spells of hours down to seconds, so a demo running for days stays
 * plausible) and prints carry the bid/ask bounce; sizes are log-normal in the instrument's lot;
 * busy instruments trade more often. Every couple of minutes one instrument has a burst: for some
 * seconds it trades several times as often and moves more, like a market reacting to news.
 *
 * Mid prices and bursts are functions of (instrument, time) — see series-noise.ts — so a restarted
 * producer continues every price where it left off; only which instrument trades, the side and the
 * size are drawn per trade.
 *
 * The message shape is the one the seeded pipeline declares:
 * {"id": "…", "symbol": "BTC-USD", "ts": epoch ms, "px": "decimal string", "qty": "decimal string",
 *  "side": "buy" | "sell"}.
 */
import type { Rng } from './random.ts';
import { DEMO_SEED, hash3, uniformAt, wander } from './series-noise.ts';

export interface Trade {
  id: string;
  symbol: string;
  ts: number;
  px: string;
  qty: string;
  side: 'buy' | 'sell';
}

/** The message text: JSON.stringify's, built directly (ids, symbols and decimals need no escaping). */
export function encodeTrade(t: Trade): string {
  return `{"id":"${t.id}","symbol":"${t.symbol}","ts":${t.ts},"px":"${t.px}","qty":"${t.qty}","side":"${t.side}"}`;
}

interface Instrument {
  symbol: string;
  price: number;
  /** decimals of the price (its tick) */
  pxDecimals: number;
  /** decimals of the size (its lot) */
  qtyDecimals: number;
  medianQty: number;
  /** share of the trades, relative */
  weight: number;
  /** annualised volatility */
  vol: number;
  /** half the bid/ask spread, as a fraction of the price */
  halfSpread: number;
}

/** The instruments the seeds declare, with sensible prices, ticks and lots. */
export const INSTRUMENTS: readonly Instrument[] = [
  {
    symbol: 'BTC-USD',
    price: 67_000,
    pxDecimals: 2,
    qtyDecimals: 6,
    medianQty: 0.02,
    weight: 3,
    vol: 0.6,
    halfSpread: 0.00005,
  },
  {
    symbol: 'ETH-USD',
    price: 3_500,
    pxDecimals: 2,
    qtyDecimals: 4,
    medianQty: 0.5,
    weight: 2.5,
    vol: 0.7,
    halfSpread: 0.00008,
  },
  {
    symbol: 'SOL-USD',
    price: 150,
    pxDecimals: 3,
    qtyDecimals: 3,
    medianQty: 8,
    weight: 1.5,
    vol: 0.9,
    halfSpread: 0.0002,
  },
  {
    symbol: 'EUR-USD',
    price: 1.085,
    pxDecimals: 5,
    qtyDecimals: 0,
    medianQty: 50_000,
    weight: 1,
    vol: 0.08,
    halfSpread: 0.00001,
  },
  {
    symbol: 'GBP-USD',
    price: 1.27,
    pxDecimals: 5,
    qtyDecimals: 0,
    medianQty: 40_000,
    weight: 0.7,
    vol: 0.09,
    halfSpread: 0.00002,
  },
  {
    symbol: 'AAPL',
    price: 190,
    pxDecimals: 2,
    qtyDecimals: 0,
    medianQty: 60,
    weight: 1.2,
    vol: 0.28,
    halfSpread: 0.00005,
  },
  {
    symbol: 'MSFT',
    price: 420,
    pxDecimals: 2,
    qtyDecimals: 0,
    medianQty: 40,
    weight: 1,
    vol: 0.26,
    halfSpread: 0.00005,
  },
  {
    symbol: 'NVDA',
    price: 125,
    pxDecimals: 2,
    qtyDecimals: 0,
    medianQty: 100,
    weight: 1.8,
    vol: 0.5,
    halfSpread: 0.00008,
  },
];

const YEAR_MS = 365 * 24 * 3_600_000;
const DAY_MS = 24 * 3_600_000;
/** the demo would look frozen at real volatility over a few minutes; this livens it up */
const VOL_BOOST = 4;
/** mid-price wander: spells from a day down to seconds */
const PERIODS_MS = [DAY_MS, 2 * 3_600_000, 15 * 60_000, 2 * 60_000, 15_000];
const BURST_SLOT_MS = 120_000;
const BURST_MIN_MS = 3_000;
const BURST_MAX_MS = 12_000;
/** during a burst the bursting instrument trades this many times as often, and moves this much more */
const BURST_ACTIVITY = 8;
const BURST_VOL = 3;

interface Book {
  spec: Instrument;
  index: number;
  minQty: number;
}

/** The burst of the two-minute slot holding tsMs: which instrument, from when to when. */
export function burstAt(
  tsMs: number,
): { instrument: number; from: number; until: number } | undefined {
  const slot = Math.floor(tsMs / BURST_SLOT_MS);
  for (const k of [slot, slot - 1]) {
    const from = k * BURST_SLOT_MS + uniformAt(DEMO_SEED, 77, k) * BURST_SLOT_MS;
    const until = from + BURST_MIN_MS + uniformAt(DEMO_SEED, 78, k) * (BURST_MAX_MS - BURST_MIN_MS);
    if (tsMs >= from && tsMs < until) {
      return { instrument: hash3(DEMO_SEED, 79, k) % INSTRUMENTS.length, from, until };
    }
  }
  return undefined;
}

/** Mid price of instrument `index` at tsMs (the same on every run). */
export function midPrice(index: number, tsMs: number): number {
  const spec = INSTRUMENTS[index]!;
  const sd = spec.vol * VOL_BOOST * Math.sqrt(DAY_MS / (2 * YEAR_MS));
  let log = Math.log(spec.price) + wander(DEMO_SEED, 500 + index, tsMs, sd, PERIODS_MS);
  const burst = burstAt(tsMs);
  if (burst && burst.instrument === index) {
    // a burst moves the price more, fading in and out so the price stays continuous
    const envelope = Math.sin((Math.PI * (tsMs - burst.from)) / (burst.until - burst.from));
    log += envelope * BURST_VOL * sd * 0.05 * wander(DEMO_SEED, 600 + index, tsMs, 1, [2_000, 500]);
  }
  return Math.exp(log);
}

export class TradeTape {
  private readonly books: Book[];
  private readonly totalWeight: number;
  private seq = 0;

  constructor(
    private readonly rng: Rng,
    /** distinguishes this run's trade ids from any other run's */
    private readonly idPrefix: string,
  ) {
    this.books = INSTRUMENTS.map((spec, index) => ({
      spec,
      index,
      minQty: 10 ** -spec.qtyDecimals,
    }));
    this.totalWeight = this.books.reduce((s, b) => s + b.spec.weight, 0);
  }

  get symbols(): string[] {
    return this.books.map((b) => b.spec.symbol);
  }

  /** True while some instrument is bursting: the live producer then sends more trades. */
  burstingAt(tsMs: number): boolean {
    return burstAt(tsMs) !== undefined;
  }

  /** The next trade, at tsMs (epoch ms). */
  next(tsMs: number): Trade {
    const rng = this.rng;
    const ts = Math.round(tsMs);
    const book = this.pick(ts);
    const spec = book.spec;
    // buyers lift the ask, sellers hit the bid
    const side: Trade['side'] = rng.chance(0.5) ? 'buy' : 'sell';
    const mid = midPrice(book.index, ts);
    const price = mid * (1 + (side === 'buy' ? 1 : -1) * spec.halfSpread);
    const qty = Math.max(book.minQty, spec.medianQty * Math.exp(0.9 * rng.gauss()));
    return {
      id: `${this.idPrefix}${(this.seq++).toString(36)}`,
      symbol: spec.symbol,
      ts,
      px: price.toFixed(spec.pxDecimals),
      qty: qty.toFixed(spec.qtyDecimals),
      side,
    };
  }

  private pick(ts: number): Book {
    const burst = burstAt(ts);
    const hot = burst ? this.books[burst.instrument] : undefined;
    const extra = hot ? hot.spec.weight * (BURST_ACTIVITY - 1) : 0;
    let r = this.rng.next() * (this.totalWeight + extra);
    if (hot) {
      if (r < extra) return hot;
      r -= extra;
    }
    for (const b of this.books) {
      r -= b.spec.weight;
      if (r < 0) return b;
    }
    return this.books[this.books.length - 1]!;
  }
}
