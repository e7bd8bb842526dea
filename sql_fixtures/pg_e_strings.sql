-- E'' strings: a backslash escapes the next character, so \' does not close the string.
CREATE TABLE quotes (id integer PRIMARY KEY, body text NOT NULL);
INSERT INTO quotes VALUES (1, E'it\'s; fine');
INSERT INTO quotes VALUES (2, e'tab\there; newline\nend\\');
INSERT INTO quotes VALUES (3, E'continued; '
    'on the next line\'s');  -- the continuation of an E'' string is an E'' string
-- A standard string: the backslash is an ordinary character and '' is a quote.
INSERT INTO quotes VALUES (4, 'C:\path\'), (5, 'it''s; also fine');
SELECT name'C:\', U&'d\0061t\+000061', date'2024-01-01';
SELECT array_agg(body ORDER BY id) AS bodies FROM quotes WHERE body <> E'\x41\u0042;';
