-- rename_table
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER TABLE posts RENAME TO articles;

ALTER TABLE articles RENAME CONSTRAINT posts_pkey TO articles_pkey;

ALTER TABLE articles RENAME CONSTRAINT posts_user_id_fkey TO articles_user_id_fkey;

-- rollback
ALTER TABLE articles RENAME CONSTRAINT articles_pkey TO posts_pkey;

ALTER TABLE articles RENAME CONSTRAINT articles_user_id_fkey TO posts_user_id_fkey;

ALTER TABLE articles RENAME TO posts;
