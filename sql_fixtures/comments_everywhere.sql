-- Header comment; with a semicolon, a 'quote', a "double quote" and $$ dollars $$
/* Block comment; 'it''s' "x" -- not a line comment */

-- a statement's leading comments are not part of it
CREATE TABLE tags ( -- trailing comment; after a parenthesis
    id integer PRIMARY KEY, /* inline; comment */
    name text NOT NULL -- last column; no comma
);
INSERT INTO tags VALUES (1, 'a'); -- same-line comment; ignored
INSERT INTO tags /* mid; statement */ VALUES (2, 'b')
-- a comment right before the semicolon;
;
;;
-- only comments between semicolons ;
/* also; only a comment */ ;
SELECT /* one */ count(*) -- total;
FROM tags;
-- a trailing comment after the last statement; no statement here
/* and a block one */
