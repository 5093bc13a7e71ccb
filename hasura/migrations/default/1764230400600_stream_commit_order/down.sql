DROP INDEX public.market_trades_ingest_xid_idx;
ALTER TABLE public.market_trades DROP COLUMN ingest_xid;

DROP INDEX public.sensor_readings_ingest_xid_idx;
ALTER TABLE public.sensor_readings DROP COLUMN ingest_xid;
