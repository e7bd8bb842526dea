-- create_table
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
CREATE TABLE tags (
    id serial NOT NULL,
    label character varying(40) NOT NULL,
    CONSTRAINT tags_pkey PRIMARY KEY (id),
    CONSTRAINT tags_label_key UNIQUE (label)
);

-- rollback
DROP TABLE tags;
