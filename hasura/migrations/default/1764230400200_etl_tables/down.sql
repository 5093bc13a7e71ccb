DROP TABLE etl.dead_letters;
DROP TABLE etl.consumer_offsets;
DROP TABLE etl.pipelines;
DROP FUNCTION etl.pipelines_notify();
DROP FUNCTION etl.pipelines_touch();
DROP SCHEMA etl;
