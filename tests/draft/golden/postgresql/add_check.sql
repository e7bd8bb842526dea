-- add_check
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE posts ADD CONSTRAINT ck_title CHECK ((length((title)::text) > 2));

-- rollback
ALTER TABLE posts DROP CONSTRAINT ck_title;
