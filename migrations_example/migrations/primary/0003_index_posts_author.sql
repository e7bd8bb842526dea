-- "All posts by this author, newest first" is the blog's most common query.
-- On a large PostgreSQL table you would write CREATE INDEX CONCURRENTLY in a file marked
-- `-- dbwarden: no-transaction`; a plain CREATE INDEX keeps this example portable.
-- upgrade
CREATE INDEX ix_posts_author_id ON posts (author_id, published_at);

-- rollback
DROP INDEX ix_posts_author_id;
