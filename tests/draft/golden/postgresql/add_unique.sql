-- add_unique
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE (email);

-- rollback
ALTER TABLE users DROP CONSTRAINT uq_users_email;
