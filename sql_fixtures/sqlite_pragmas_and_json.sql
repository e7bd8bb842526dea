PRAGMA foreign_keys = ON;
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, meta TEXT CHECK (json_valid(meta)));
INSERT INTO kv VALUES ('a', 'x;y', '{"tags": ["a;b", "c"]}')
    ON CONFLICT (k) DO UPDATE SET v = excluded.v || ';' || kv.v;
SELECT json_extract(meta, '$.tags[0]'), meta ->> '$.tags[1]' FROM kv;
