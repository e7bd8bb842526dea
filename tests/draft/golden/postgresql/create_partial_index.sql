-- create_partial_index
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
CREATE INDEX ix_posts_titled ON posts USING btree (user_id) WHERE (title IS NOT NULL);

-- rollback
DROP INDEX ix_posts_titled;
