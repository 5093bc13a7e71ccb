-- What the pipeline-health page shows of a refused message: its size and its first 1 KiB as hex
-- (the page renders it as a hex dump and an escaped UTF-8 preview, never as markup). Computed
-- fields, so a role can be given the preview without the raw bytes, the key or the headers.
CREATE FUNCTION etl.dead_letters_message_size(d etl.dead_letters) RETURNS integer
  LANGUAGE sql STABLE AS $$ SELECT octet_length(d.message_value) $$;
CREATE FUNCTION etl.dead_letters_message_preview(d etl.dead_letters) RETURNS text
  LANGUAGE sql STABLE AS $$ SELECT encode(substring(d.message_value FROM 1 FOR 1024), 'hex') $$;
COMMENT ON FUNCTION etl.dead_letters_message_preview(etl.dead_letters) IS
  'The first 1024 bytes of the refused message, hex-encoded';
CREATE INDEX dead_letters_error_code_idx ON etl.dead_letters (error_code, created_at DESC);
