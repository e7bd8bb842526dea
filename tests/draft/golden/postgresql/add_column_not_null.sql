-- add_column_not_null
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE users ADD COLUMN age integer DEFAULT 0 NOT NULL;

-- rollback
ALTER TABLE users DROP COLUMN age;
