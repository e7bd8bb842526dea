-- alter_type
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
-- rebuild users: SQLite cannot change column name (type) in place, so the table is
--   re-created and its rows copied (with foreign_keys off, as dbwarden runs it)
CREATE TABLE _dbwarden_new_users (
    id INTEGER NOT NULL,
    email VARCHAR(100) NOT NULL,
    name TEXT,
    PRIMARY KEY (id)
);
INSERT INTO _dbwarden_new_users (id, email, name) SELECT id, email, name FROM users;
DROP TABLE users;
ALTER TABLE _dbwarden_new_users RENAME TO users;
CREATE INDEX ix_users_email ON users (email);

-- rollback
-- rebuild users: SQLite cannot change column name (type) in place, so the table is
--   re-created and its rows copied (with foreign_keys off, as dbwarden runs it)
CREATE TABLE _dbwarden_new_users (
    id INTEGER NOT NULL,
    email VARCHAR(100) NOT NULL,
    name VARCHAR(50),
    PRIMARY KEY (id)
);
INSERT INTO _dbwarden_new_users (id, email, name) SELECT id, email, name FROM users;
DROP TABLE users;
ALTER TABLE _dbwarden_new_users RENAME TO users;
CREATE INDEX ix_users_email ON users (email);
