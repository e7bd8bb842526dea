-- written on Windows; CRLF line endings
CREATE TABLE crlf (id integer PRIMARY KEY, note text);
INSERT INTO crlf VALUES (1, 'line one
line two; still the string');

-- a comment; CRLF
SELECT note
FROM crlf;
