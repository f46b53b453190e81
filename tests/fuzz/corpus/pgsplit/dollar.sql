CREATE FUNCTION f() RETURNS text AS $body$ SELECT 'a;b'; $x$ ; $body$ LANGUAGE sql;
SELECT $$;$$, $_1$;$_1$, $a1$;$a1$;
PREPARE p(int) AS SELECT $1; SELECT a$b$;
