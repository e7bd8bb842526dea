CREATE TABLE t (id integer);

CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS $body$
    SELECT 1;
$Body$;

SELECT 2;
