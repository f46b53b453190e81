CREATE TABLE a (x TEXT DEFAULT 'it''s; ok');
INSERT INTO a VALUES ("q;"); -- c;
/* a; /* nested; */ b; */ SELECT 1;
