-- add_enum_value
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- dbwarden: irreversible
-- upgrade
-- irreversible: PostgreSQL cannot remove a value from an enum type, and a value added in a
--   transaction cannot be used before it commits
ALTER TYPE mood ADD VALUE 'meh';

-- rollback
-- irreversible: PostgreSQL cannot remove a value from an enum type (mood: 'meh').
-- If no row uses what the upgrade added, this would undo it by hand:
-- PostgreSQL cannot remove or reorder enum values: mood is re-created and its columns
--   converted through text (this fails if a row holds a removed value)
-- ALTER TYPE mood RENAME TO _dbwarden_old_mood;
-- CREATE TYPE mood AS ENUM ('happy', 'sad');
-- ALTER TABLE users ALTER COLUMN mood TYPE mood USING mood::text::mood;
-- DROP TYPE _dbwarden_old_mood;
