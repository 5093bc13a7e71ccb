-- Demo stream 2: market trades, exact decimal prices and sizes, many trades per instrument and
-- instant, identified by the venue's trade id. Declared in seeds/default as `market_trades`.
CREATE TABLE public.market_trades (
  entity_id bigint NOT NULL,
  ts timestamptz NOT NULL,
  trade_id text NOT NULL,
  price numeric(20, 8) NOT NULL CHECK (price > 0),
  size numeric(20, 8) NOT NULL CHECK (size > 0),
  side text NOT NULL CHECK (side IN ('buy', 'sell')),
  notional numeric(28, 8),
  PRIMARY KEY (entity_id, ts, trade_id)
) PARTITION BY RANGE (ts);
CREATE INDEX market_trades_ts_idx ON public.market_trades (ts);

COMMENT ON TABLE public.market_trades IS 'Executed trades per instrument (demo stream)';
COMMENT ON COLUMN public.market_trades.entity_id IS 'The instrument (entities.id)';
COMMENT ON COLUMN public.market_trades.trade_id IS 'Venue trade id, unique per instrument and instant';
COMMENT ON COLUMN public.market_trades.notional IS 'Derived: price × size';

SELECT timeseries.register_table('public.market_trades', 'ts', '1 day', 3, '90 days');
