DROP INDEX etl.dead_letters_waiting_idx;
ALTER TABLE etl.dead_letters DROP COLUMN replay_count, DROP COLUMN replayed_at;
