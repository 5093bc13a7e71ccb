/**
 * The `market_trades` demo stream: trades of the eight seeded instruments. Each price is a random
 * walk in log space (pulled back slowly towards its start, so a demo running for days stays
 * plausible) with the bid/ask bounce of real prints; sizes are log-normal in the instrument's
 * lot; busy instruments trade more often. Every few minutes one instrument has a burst: for some
 * seconds it trades several times as often and moves more, like a market reacting to news.
 *
 * The message shape is the one the seeded pipeline declares:
 * {"id": "…", "symbol": "BTC-USD", "ts": epoch ms, "px": "decimal string", "qty": "decimal string",
 *  "side": "buy" | "sell"}.
 */
import type { Rng } from './random.ts';

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

const YEAR_S = 365 * 24 * 3600;
/** the demo would look frozen at real volatility over a few minutes; this livens it up */
const VOL_BOOST = 4;
/** log prices return towards their start over about a day */
const REVERSION_PER_S = 1 / (24 * 3600);
const BURST_MIN_MS = 3_000;
const BURST_MAX_MS = 12_000;
/** bursts start about every two minutes of event time */
const BURSTS_PER_MS = 1 / 120_000;
/** during a burst the bursting instrument trades this many times as often, and moves this much more */
const BURST_ACTIVITY = 8;
const BURST_VOL = 3;

interface Book {
  spec: Instrument;
  logStart: number;
  logPrice: number;
  lastTs: number;
  minQty: number;
}

export class TradeTape {
  private readonly books: Book[];
  private readonly totalWeight: number;
  private seq = 0;
  private burst: { book: Book; until: number } | undefined;
  private lastTs = -Infinity;

  constructor(
    private readonly rng: Rng,
    /** distinguishes this run's trade ids from any other run's */
    private readonly idPrefix: string,
  ) {
    this.books = INSTRUMENTS.map((spec) => ({
      spec,
      logStart: Math.log(spec.price),
      logPrice: Math.log(spec.price),
      lastTs: -Infinity,
      minQty: 10 ** -spec.qtyDecimals,
    }));
    this.totalWeight = this.books.reduce((s, b) => s + b.spec.weight, 0);
  }

  get symbols(): string[] {
    return this.books.map((b) => b.spec.symbol);
  }

  /** True while some instrument is bursting: the live producer then sends more trades. */
  burstingAt(tsMs: number): boolean {
    return this.burst !== undefined && tsMs < this.burst.until;
  }

  /** The next trade, at tsMs (epoch ms). */
  next(tsMs: number): Trade {
    const rng = this.rng;
    const ts = Math.round(tsMs);
    this.updateBurst(ts);
    const book = this.pick(ts);
    const spec = book.spec;

    const dtS = Number.isFinite(book.lastTs) ? Math.max(0, ts - book.lastTs) / 1000 : 1;
    book.lastTs = ts;
    const vol =
      spec.vol * VOL_BOOST * (this.burst?.book === book && ts < this.burst.until ? BURST_VOL : 1);
    book.logPrice +=
      -REVERSION_PER_S * dtS * (book.logPrice - book.logStart) +
      vol * Math.sqrt(dtS / YEAR_S) * rng.gauss();

    // buyers lift the ask, sellers hit the bid
    const side: Trade['side'] = rng.chance(0.5) ? 'buy' : 'sell';
    const mid = Math.exp(book.logPrice);
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

  private updateBurst(ts: number): void {
    const dt = Number.isFinite(this.lastTs) ? Math.max(0, ts - this.lastTs) : 0;
    this.lastTs = ts;
    if (this.burst && ts >= this.burst.until) this.burst = undefined;
    if (!this.burst && this.rng.chance(dt * BURSTS_PER_MS)) {
      const book = this.books[this.rng.int(this.books.length)]!;
      this.burst = { book, until: ts + this.rng.between(BURST_MIN_MS, BURST_MAX_MS) };
    }
  }

  private pick(ts: number): Book {
    const hot = this.burst && ts < this.burst.until ? this.burst.book : undefined;
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
