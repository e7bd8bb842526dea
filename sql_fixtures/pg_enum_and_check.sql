CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy; very');
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ecstatic' AFTER 'happy; very';
CREATE DOMAIN us_postal_code AS text CHECK (VALUE ~ '^\d{5}(-\d{4})?$');
CREATE TABLE people (
    id integer PRIMARY KEY,
    name text NOT NULL CHECK (name <> '' AND name !~ ';'),
    current_mood mood NOT NULL DEFAULT 'ok',
    zip us_postal_code,
    tags text[] NOT NULL DEFAULT '{}' CHECK (array_position(tags, 'x;y') IS NULL),
    CONSTRAINT "no ; in ""odd"" names" CHECK (position(';' IN name) = 0)
);
INSERT INTO people (id, name, current_mood, zip, tags)
VALUES (1, 'Ann', 'happy; very', '12345', ARRAY['a', 'b']);
SELECT tags[1], tags[1:2] FROM people WHERE current_mood >= 'ok'::mood;
