CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);
INSERT INTO notes VALUES (1, 'first; second; third');
INSERT INTO notes VALUES (2, 'it''s; quoted'), (3, '-- not a comment; /* nor this */');
INSERT INTO notes VALUES (4, 'multi
line; string
'), (5, ''), (6, ''''), (7, '"double; quotes"'), (8, 'C:\temp\');
UPDATE notes SET body = body || ';' WHERE body LIKE '%;%';
SELECT count(*) FROM notes WHERE body <> ';';
