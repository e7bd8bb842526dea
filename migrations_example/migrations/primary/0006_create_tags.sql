-- Tags, and the join table between posts and tags. A few tags are reference data that the
-- app relies on, so they are created here with fixed ids; every post that exists already
-- is filed under "general" (an INSERT ... SELECT backfill).
-- upgrade
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name VARCHAR(50) NOT NULL UNIQUE
);

CREATE TABLE post_tags (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);

CREATE INDEX ix_post_tags_tag_id ON post_tags (tag_id);

INSERT INTO tags (id, name) VALUES
    (1, 'general'),
    (2, 'news'),
    (3, 'howto');

INSERT INTO post_tags (post_id, tag_id)
SELECT id, 1 FROM posts;

-- rollback
DROP VIEW IF EXISTS user_post_counts;
DROP TABLE post_tags;
DROP TABLE tags;
