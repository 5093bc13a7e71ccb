ALTER TABLE etl.consumer_offsets DROP COLUMN last_error, DROP COLUMN stalled_since;
