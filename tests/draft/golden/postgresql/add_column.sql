-- add_column
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE users ADD COLUMN age integer;

-- rollback
ALTER TABLE users DROP COLUMN age;
