-- create_index
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
CREATE UNIQUE INDEX ix_posts_user_title ON posts (user_id, title);

-- rollback
DROP INDEX ix_posts_user_title;
