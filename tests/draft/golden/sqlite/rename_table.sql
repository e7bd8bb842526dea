-- rename_table
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE posts RENAME TO articles;

-- rollback
ALTER TABLE articles RENAME TO posts;
