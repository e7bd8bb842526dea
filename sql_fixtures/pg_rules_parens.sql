CREATE TABLE items (id integer PRIMARY KEY, name text);
CREATE TABLE items_log (id integer, action text);
-- A multi-action rule: like psql, a ; inside parentheses does not end the statement.
CREATE RULE items_log_insert AS ON INSERT TO items
    DO ALSO (
        INSERT INTO items_log VALUES (NEW.id, 'insert');
        INSERT INTO items_log VALUES (NEW.id, 'insert; again')
    );
INSERT INTO items VALUES (1, 'one');
SELECT count(*) FROM items_log;
