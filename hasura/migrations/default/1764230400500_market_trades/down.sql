DELETE FROM timeseries.partitioned_tables WHERE table_schema = 'public' AND table_name = 'market_trades';
DROP TABLE public.market_trades;
