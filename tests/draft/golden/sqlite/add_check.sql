-- add_check
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
-- rebuild posts: SQLite cannot add a check constraint in place, so the table is re-created
--   and its rows copied (with foreign_keys off, as dbwarden runs it)
CREATE TABLE _dbwarden_new_posts (
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    title VARCHAR(200),
    PRIMARY KEY (id),
    CONSTRAINT ck_title CHECK (length(title) > 2),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO _dbwarden_new_posts (id, user_id, title) SELECT id, user_id, title FROM posts;
DROP TABLE posts;
ALTER TABLE _dbwarden_new_posts RENAME TO posts;

-- rollback
-- rebuild posts: SQLite cannot drop a check constraint in place, so the table is re-created
--   and its rows copied (with foreign_keys off, as dbwarden runs it)
CREATE TABLE _dbwarden_new_posts (
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    title VARCHAR(200),
    PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
INSERT INTO _dbwarden_new_posts (id, user_id, title) SELECT id, user_id, title FROM posts;
DROP TABLE posts;
ALTER TABLE _dbwarden_new_posts RENAME TO posts;
