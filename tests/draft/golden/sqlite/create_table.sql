-- create_table
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
CREATE TABLE tags (
    id INTEGER NOT NULL,
    label VARCHAR(40) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (label)
);

-- rollback
DROP TABLE tags;
