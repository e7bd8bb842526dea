-- reorder_enum
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
-- PostgreSQL cannot remove or reorder enum values: mood is re-created and its columns
--   converted through text (this fails if a row holds a removed value)
ALTER TYPE mood RENAME TO _dbwarden_old_mood;
CREATE TYPE mood AS ENUM ('sad', 'happy');
ALTER TABLE users ALTER COLUMN mood TYPE mood USING mood::text::mood;
DROP TYPE _dbwarden_old_mood;

-- rollback
-- PostgreSQL cannot remove or reorder enum values: mood is re-created and its columns
--   converted through text (this fails if a row holds a removed value)
ALTER TYPE mood RENAME TO _dbwarden_old_mood;
CREATE TYPE mood AS ENUM ('happy', 'sad');
ALTER TABLE users ALTER COLUMN mood TYPE mood USING mood::text::mood;
DROP TYPE _dbwarden_old_mood;
