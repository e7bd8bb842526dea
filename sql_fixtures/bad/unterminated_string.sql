CREATE TABLE t (id integer, body text);
INSERT INTO t VALUES (1, 'fine');
INSERT INTO t VALUES (2, 'it''s fine; too');
INSERT INTO t VALUES (3, 'oops;
SELECT 1;
