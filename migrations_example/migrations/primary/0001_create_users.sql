-- The people who write posts.
-- Ids are plain integer primary keys (portable: SQLite and PostgreSQL); the app or the
-- data it loads chooses them.
-- upgrade
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    display_name VARCHAR(100) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- rollback
-- The user_post_counts view (RA__user_post_counts.sql) reads this table, and PostgreSQL
-- refuses to drop a table a view depends on; the next `migrate` recreates the view.
DROP VIEW IF EXISTS user_post_counts;
DROP TABLE users;
