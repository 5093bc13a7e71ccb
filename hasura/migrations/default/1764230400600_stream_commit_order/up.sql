-- Streaming subscriptions that never skip a row. Every point records the transaction that
-- inserted it; the engine streams a table with this column by snapshot windows ("visible now but
-- not at the previous poll"), so a row that commits after rows with higher cursor values were
-- already sent is still sent (see engine/src/subscription/plan.ts). The default costs one function
-- call per row; the index finds the rows of recent transactions.
ALTER TABLE public.sensor_readings
  ADD COLUMN ingest_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX sensor_readings_ingest_xid_idx ON public.sensor_readings (ingest_xid);
COMMENT ON COLUMN public.sensor_readings.ingest_xid IS 'The inserting transaction (commit order for streaming subscriptions)';

ALTER TABLE public.market_trades
  ADD COLUMN ingest_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX market_trades_ingest_xid_idx ON public.market_trades (ingest_xid);
COMMENT ON COLUMN public.market_trades.ingest_xid IS 'The inserting transaction (commit order for streaming subscriptions)';
