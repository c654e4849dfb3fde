-- smsd schema: scheduled messages held back until released, and a front door's own data.
--
--   * scheduled.held: 1 while the message is an open transaction (stored, recipients may still
--     be added, never expanded nor sent); the dispatcher only looks at rows with held = 0.
--     Releasing sets it to 0 once; nothing sets it back to 1.
--   * scheduled.door_data: JSON a front door keeps with the message to render it back in its
--     own dialect (options it echoes, recipients it refused); the core never reads it.
--   * scheduled_expanded: a user's expanded scheduled messages by id (with scheduled_list, which
--     covers the pending ones, every scheduled message of a user is reached through an index).

ALTER TABLE scheduled ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1));
ALTER TABLE scheduled ADD COLUMN door_data TEXT CHECK (door_data IS NULL OR json_valid(door_data));

DROP INDEX scheduled_due;
CREATE INDEX scheduled_due ON scheduled (due_at, id) WHERE expanded_at IS NULL AND held = 0;
CREATE INDEX scheduled_expanded ON scheduled (id_user, id) WHERE expanded_at IS NOT NULL;
