-- drop_table
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
-- NOTE: drops table posts and its rows: if it still has a model, the module defining it is
--   missing from model_paths
DROP TABLE posts;

-- rollback
CREATE TABLE posts (
    id serial NOT NULL,
    user_id integer NOT NULL,
    title character varying(200),
    CONSTRAINT posts_pkey PRIMARY KEY (id),
    CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
);
