-- alter_comment
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
COMMENT ON COLUMN users.name IS 'display name';

-- rollback
COMMENT ON COLUMN users.name IS NULL;
