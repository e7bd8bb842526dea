-- drop_column
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE posts DROP COLUMN title;

-- rollback
ALTER TABLE posts ADD COLUMN title VARCHAR(200);
