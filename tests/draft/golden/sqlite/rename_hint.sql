-- rename_hint
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE users ADD COLUMN full_name VARCHAR(50);

-- NOTE: users.name is dropped and users.full_name added with the same type: if it was
--   renamed, draft again with --rename users.name:full_name to keep its data
ALTER TABLE users DROP COLUMN name;

-- rollback
ALTER TABLE users ADD COLUMN name VARCHAR(50);

ALTER TABLE users DROP COLUMN full_name;
