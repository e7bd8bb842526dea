-- Backfill: every existing post gets a slug made from its title and id ("hello-world-1"),
-- then slugs become unique. lower(), replace(), || and CAST work on SQLite and PostgreSQL.
-- upgrade
UPDATE posts
SET slug = lower(replace(trim(title), ' ', '-')) || '-' || CAST(id AS VARCHAR(20))
WHERE slug IS NULL;

CREATE UNIQUE INDEX ux_posts_slug ON posts (slug);

-- rollback
DROP INDEX ux_posts_slug;
UPDATE posts SET slug = NULL;
