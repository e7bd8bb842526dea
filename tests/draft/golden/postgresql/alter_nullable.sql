-- alter_nullable
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
-- NOTE: SET NOT NULL fails if users.name holds NULLs; fill them first
ALTER TABLE users ALTER COLUMN name SET NOT NULL;

-- rollback
ALTER TABLE users ALTER COLUMN name DROP NOT NULL;
