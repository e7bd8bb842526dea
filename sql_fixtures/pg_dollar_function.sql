-- Functions with dollar-quoted bodies: the semicolons inside them never split.
CREATE FUNCTION slugify(value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    result text;
BEGIN
    -- lower-case; then turn every run of other characters into '-'
    result := lower(value);
    result := regexp_replace(result, '[^a-z0-9]+', '-', 'g');
    RETURN trim(BOTH '-' FROM result);
END;
$$;

CREATE FUNCTION add_tax(amount numeric, rate numeric DEFAULT 0.2)
RETURNS numeric
LANGUAGE sql IMMUTABLE
AS $function$ SELECT round(amount * (1 + rate), 2); $function$;

COMMENT ON FUNCTION slugify(text) IS 'Turns "Hello; World" into hello-world';

SELECT slugify('Hello;  World!') AS slug, add_tax(10) AS gross;
