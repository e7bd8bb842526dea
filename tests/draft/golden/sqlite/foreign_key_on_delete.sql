-- foreign_key_on_delete
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
-- rebuild posts: SQLite cannot change a foreign key in place, so the table is re-created
--   and its rows copied (with foreign_keys off, as dbwarden runs it)
CREATE TABLE _dbwarden_new_posts (
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    title VARCHAR(200),
    PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE RESTRICT
);
INSERT INTO _dbwarden_new_posts (id, user_id, title) SELECT id, user_id, title FROM posts;
DROP TABLE posts;
ALTER TABLE _dbwarden_new_posts RENAME TO posts;

-- rollback
-- rebuild posts: SQLite cannot change a foreign key in place, so the table is re-created
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
