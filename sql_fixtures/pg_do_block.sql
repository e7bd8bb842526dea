DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'ticket_priority') THEN
        CREATE TYPE ticket_priority AS ENUM ('low', 'high; urgent');
    END IF;
END
$$;

DO LANGUAGE plpgsql $do$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT unnest(ARRAY['a;b', 'c''d']) LOOP
        EXECUTE format($q$CREATE TABLE IF NOT EXISTS %I (id integer)$q$, 'tbl_' || md5(t));
    END LOOP;
END;
$do$;

DO $$ BEGIN PERFORM 1; END $$;
