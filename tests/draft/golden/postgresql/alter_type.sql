-- alter_type
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE users ALTER COLUMN name TYPE text USING name::text;

-- rollback
ALTER TABLE users ALTER COLUMN name TYPE character varying(50) USING name::character varying(50);
