-- More error reports at default verbosity: messages, DETAIL, HINT, LINE and caret for the errors
-- applications hit most.
CREATE TABLE t (id int PRIMARY KEY, name varchar(5) NOT NULL, qty smallint, flag boolean, day date, price numeric(5, 2));
INSERT INTO t VALUES (1, 'a', 1, true, '2024-01-01', 1);
INSERT INTO t VALUES (2, 'toolong', 1, true, '2024-01-01', 1);
INSERT INTO t VALUES (2, 'b', 40000, true, '2024-01-01', 1);
INSERT INTO t VALUES (2, 'b', 1, 'maybe', '2024-01-01', 1);
INSERT INTO t VALUES (2, 'b', 1, true, '2024-02-30', 1);
INSERT INTO t VALUES (2, 'b', 1, true, 'someday', 1);
INSERT INTO t VALUES (2, 'b', 1, true, '2024-01-01', 1000);
INSERT INTO t VALUES (2, 'b', 1, true, '2024-01-01', 'abc');
INSERT INTO t (id, nosuch) VALUES (2, 1);
INSERT INTO t (id) VALUES (2);
INSERT INTO t VALUES (2, 'b', 1, true, '2024-01-01', 1, 'extra');
UPDATE t SET nosuch = 1;
SELECT * FROM t WHERE id = 'x';
SELECT * FROM t WHERE name = 1;
SELECT length(1);
SELECT nosuch(1);
SELECT * FROM t WHERE
SELECT id, count(*) FROM t;
SELECT 1 / 0.0;
SELECT 9223372036854775807 + 1;
CREATE TABLE t (x int);
CREATE INDEX t_pkey ON t (name);
DROP TABLE nosuch;
BEGIN;
SELECT 1 / 0;
SELECT 1;
ROLLBACK;
SELECT "Id" FROM t;
SELECT t2.id FROM t;
SELECT id FROM t, t;
SELECT id, count(*) FROM t;
