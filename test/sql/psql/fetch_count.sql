-- psql's FETCH_COUNT reads a query's rows in batches through a cursor (BEGIN, DECLARE ... NO SCROLL
-- CURSOR, FETCH FORWARD n, CLOSE, COMMIT), inside a transaction block or outside one.
\set VERBOSITY sqlstate
CREATE TABLE fc (id int PRIMARY KEY, name text);
INSERT INTO fc SELECT g, 'row ' || g FROM generate_series(1, 8) AS g(g);
\set FETCH_COUNT 3
SELECT * FROM fc ORDER BY id;
SELECT id, row_number() OVER (ORDER BY id DESC) FROM fc WHERE id > 5 ORDER BY id;
BEGIN;
SELECT name FROM fc WHERE id % 2 = 0 ORDER BY id;
SELECT 1 / (g - 4) FROM generate_series(1, 8) AS g;
ROLLBACK;
SELECT count(*) FROM fc;
\unset FETCH_COUNT
SELECT count(*) FROM fc;
