/* a /* nested; */ still a comment; */ SELECT 1; -- c;
SELECT 2 /* x; */;
-- crSELECT 3;
