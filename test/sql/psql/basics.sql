-- psql basics: command tags, aligned table output, NULL display, empty results, multi-statement lines.
\set VERBOSITY sqlstate
CREATE TABLE kv (k int PRIMARY KEY, v text, n numeric(6, 2));
INSERT INTO kv VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, NULL, -20);
INSERT INTO kv (k, v) VALUES (4, 'a longer value than the others');
SELECT * FROM kv ORDER BY k;
SELECT k, v FROM kv WHERE k = 2;
SELECT k FROM kv WHERE k > 100;
SELECT count(*) AS total, sum(n) FROM kv;
UPDATE kv SET n = n * 2 WHERE n IS NOT NULL;
UPDATE kv SET v = 'none' WHERE k = 99;
DELETE FROM kv WHERE k = 3;
SELECT * FROM kv ORDER BY k;
SELECT 1 AS a; SELECT 2 AS b;
SELECT 'multi
line' AS text, 'tab	here' AS tab;
INSERT INTO kv VALUES (1, 'dup', 0);
SELECT k, v FROM kv ORDER BY k DESC;
BEGIN;
INSERT INTO kv VALUES (10, 'ten', 10);
COMMIT;
SELECT k FROM kv ORDER BY k;
DROP TABLE kv;
SELECT * FROM kv;
