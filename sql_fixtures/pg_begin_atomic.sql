-- SQL-standard routine bodies (PostgreSQL 14+): psql keeps BEGIN ATOMIC ... END whole.
CREATE TABLE counters (n integer);

CREATE FUNCTION order_total(qty integer, price numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT CASE WHEN qty <= 0 THEN 0 ELSE qty * price END;
END;

CREATE OR REPLACE PROCEDURE bump(step integer)
LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO counters (n) VALUES (step);
    UPDATE counters SET n = n + step WHERE n < 0;
END;

CALL bump(1);
SELECT order_total(2, 1.5) AS total, (SELECT sum(n) FROM counters) AS n;
