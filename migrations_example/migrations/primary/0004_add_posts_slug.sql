-- Posts get a URL slug. The column is nullable for now: 0005 fills it in for existing
-- posts and makes it unique. Splitting "add column" from "backfill" keeps each step short.
-- upgrade
ALTER TABLE posts ADD COLUMN slug VARCHAR(220);

-- rollback
-- DROP COLUMN needs SQLite 3.35 or newer (PostgreSQL has always had it).
DROP VIEW IF EXISTS user_post_counts;
ALTER TABLE posts DROP COLUMN slug;
