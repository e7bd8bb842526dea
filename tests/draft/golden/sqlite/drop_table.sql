-- drop_table
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
-- NOTE: drops table posts and its rows: if it still has a model, the module defining it is
--   missing from model_paths
DROP TABLE posts;

-- rollback
CREATE TABLE posts (
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    title VARCHAR(200),
    PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
