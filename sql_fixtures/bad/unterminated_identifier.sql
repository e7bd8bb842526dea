CREATE TABLE t (id integer);

SELECT "id; FROM t;
SELECT 2;
