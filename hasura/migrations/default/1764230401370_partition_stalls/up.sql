-- Stalls, as the worker sees them against the broker (etl-worker/src/health/stall-monitor.ts): a
-- partition behind the broker's high watermark whose stored offset has not moved for
-- ETL_STALL_AFTER_MS gets the time it last moved and the last failure of its writes. The next
-- commit of the partition clears both. The dashboard's pipeline health shows them in words.
ALTER TABLE etl.consumer_offsets
  ADD COLUMN stalled_since timestamptz,
  ADD COLUMN last_error text;
COMMENT ON COLUMN etl.consumer_offsets.stalled_since IS
  'Set while the partition is stalled (behind the broker, not advancing): when it last advanced';
COMMENT ON COLUMN etl.consumer_offsets.last_error IS
  'The last failure of the partition''s writes since its last commit (transient or pipeline-level)';
