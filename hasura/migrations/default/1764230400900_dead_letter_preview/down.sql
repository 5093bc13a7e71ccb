DROP INDEX etl.dead_letters_error_code_idx;
DROP FUNCTION etl.dead_letters_message_preview(etl.dead_letters);
DROP FUNCTION etl.dead_letters_message_size(etl.dead_letters);
