-- create_enum
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
CREATE TYPE mood AS ENUM ('happy', 'sad');

ALTER TABLE users ADD COLUMN mood mood;

-- rollback
ALTER TABLE users DROP COLUMN mood;

DROP TYPE mood;
