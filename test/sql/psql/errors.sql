-- Error reports as psql prints them with the default verbosity: message, DETAIL, LINE and caret.
CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL, n int);
INSERT INTO t VALUES (1, 'a', 1);
SELEC 1;
SELECT * FROM t WHERE;
SELECT * FROM nosuch;
SELECT nosuch FROM t;
INSERT INTO t VALUES (1, 'dup', 2);
INSERT INTO t VALUES (2, NULL, 2);
SELECT 1 / 0;
SELECT 'abc'::int;
SELECT 2147483647 + 1;
INSERT INTO t (id, v) VALUES (3, repeat('x', 3)), (3, 'y');
CREATE TABLE t (id int);
SELECT id FROM t
  WHERE nosuch = 1;
SELECT * FROM t ORDER BY id;
