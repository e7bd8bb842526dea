-- A function that writes another function: dollar quotes with different tags nest,
-- and a tag only closes the quote it opened.
CREATE FUNCTION make_counter(name text) RETURNS void
LANGUAGE plpgsql AS $outer$
BEGIN
    EXECUTE format($sql$
        CREATE OR REPLACE FUNCTION %I() RETURNS integer
        LANGUAGE sql AS $body$ SELECT 42; $body$;
    $sql$, name || '_counter');
    -- $outer_not$ is not our tag; neither is $Outer$ (tags are case-sensitive);
END;
$outer$;

SELECT make_counter('visits');

SELECT visits_counter();

-- $$ is a tag too, and $1 is a parameter, not a quote.
CREATE FUNCTION echo(text) RETURNS text LANGUAGE sql AS $$ SELECT $1 || '$;' $$;

SELECT echo($q$it's; "quoted"$q$) AS echoed;
