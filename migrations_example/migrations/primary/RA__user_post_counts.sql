-- A reporting view: how many posts, published posts and distinct tags each user has.
-- RA__ ("runs always"): dropped and recreated on every `dbwarden migrate`, after the
-- versioned migrations, so it always matches the current tables. Repeatable files are
-- never rolled back: rollbacks of the tables it reads drop it first.
-- upgrade
DROP VIEW IF EXISTS user_post_counts;

CREATE VIEW user_post_counts AS
SELECT
    u.id AS user_id,
    u.email AS email,
    COUNT(DISTINCT p.id) AS post_count,
    COUNT(DISTINCT CASE WHEN p.published_at IS NOT NULL THEN p.id END) AS published_count,
    COUNT(DISTINCT pt.tag_id) AS tag_count
FROM users u
LEFT JOIN posts p ON p.author_id = u.id
LEFT JOIN post_tags pt ON pt.post_id = p.id
GROUP BY u.id, u.email;
