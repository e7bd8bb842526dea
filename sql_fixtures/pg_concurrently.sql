-- The body of a no-transaction migration: every statement after the first one
-- refuses to run inside a transaction block.
CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, payload jsonb);
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_kind_idx ON events (kind);
create unique index concurrently events_payload_key on events ((payload ->> 'key'));
REINDEX INDEX CONCURRENTLY events_kind_idx;
VACUUM (ANALYZE) events;
DROP INDEX /* on purpose */ CONCURRENTLY IF EXISTS events_kind_idx;
