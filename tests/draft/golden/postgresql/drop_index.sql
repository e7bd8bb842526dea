-- drop_index
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
DROP INDEX ix_users_email;

-- rollback
CREATE INDEX ix_users_email ON users USING btree (email);
