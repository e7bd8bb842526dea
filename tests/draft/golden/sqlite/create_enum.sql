-- create_enum
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE users ADD COLUMN mood VARCHAR(5);

-- rollback
ALTER TABLE users DROP COLUMN mood;
