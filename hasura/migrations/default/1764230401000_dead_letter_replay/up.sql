-- Replaying dead letters (the admin action replay_dead_letters): when a letter was last
-- re-published to its source topic, and how often. A replayed letter is not replayed again unless
-- asked for by id after clearing replayed_at; one that fails again becomes a new dead letter.
ALTER TABLE etl.dead_letters
  ADD COLUMN replayed_at timestamptz,
  ADD COLUMN replay_count integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN etl.dead_letters.replayed_at IS 'When the letter was last re-published to its source topic (replay_dead_letters)';
CREATE INDEX dead_letters_waiting_idx ON etl.dead_letters (pipeline, created_at) WHERE replayed_at IS NULL;
