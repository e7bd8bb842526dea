-- alter_default
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE users ALTER COLUMN name SET DEFAULT 'anon'::character varying;

-- rollback
ALTER TABLE users ALTER COLUMN name DROP DEFAULT;
