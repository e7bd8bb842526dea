-- Operators that look like comments or quotes, $n parameters, $ inside identifiers.
CREATE TABLE metrics (id integer PRIMARY KEY, data jsonb NOT NULL, price$usd numeric, vals integer[]);
INSERT INTO metrics VALUES (1, '{"a": {"b": "x;y"}}', 9.5, ARRAY[3, 1, 2]);
SELECT data->'a'->>'b', data #>> '{a,b}', data @> '{"a": {}}', 10/2, 5 - -3, vals[2], price$usd FROM metrics;
PREPARE by_id(integer) AS SELECT * FROM metrics WHERE id = $1;
EXECUTE by_id(1);
DEALLOCATE by_id;
SELECT $tag$ it's a $dollar$ quote; $$ too $tag$ AS text, B'1010' AS bits, X'FF' AS hex;
