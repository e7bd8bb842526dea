-- begin and end are legal column names in SQLite; CASE ... END nests inside a trigger.
CREATE TABLE shifts (id INTEGER PRIMARY KEY, begin INTEGER, end INTEGER, label TEXT);
CREATE TABLE shift_log (shift_id INTEGER, kind TEXT, span INTEGER);

CREATE TRIGGER shifts_classify AFTER INSERT ON shifts
WHEN CASE WHEN new.end IS NULL THEN 0 ELSE 1 END
BEGIN
    INSERT INTO shift_log (shift_id, kind, span)
    VALUES (
        new.id,
        CASE
            WHEN new.end - new.begin > 8 THEN 'long; overtime'
            WHEN new.end - new.begin > 1 THEN CASE new.label WHEN 'night' THEN 'night' ELSE 'day' END
            ELSE 'short'
        END,
        new.end - new.begin
    );
    UPDATE shifts SET label = CASE WHEN label IS NULL THEN 'unnamed' ELSE label END WHERE id = new.id;
    UPDATE shifts SET end = begin WHERE end < begin;
END;

INSERT INTO shifts (id, begin, end, label) VALUES (1, 8, 18, NULL), (2, 20, 22, 'night'), (3, 5, 4, 'x');
SELECT shift_id, kind, span FROM shift_log ORDER BY shift_id;
