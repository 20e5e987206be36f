-- Row values in psql: column names (row, the FROM item's name, CASE taking its ELSE's name), record
-- output, and the errors of what records cannot do.
\set VERBOSITY sqlstate
CREATE TABLE r (id int PRIMARY KEY, b text);
INSERT INTO r VALUES (1, 'x'), (2, NULL), (3, 'a b');
SELECT ROW(1, 'abc'), (1, 2), ROW(1, 2)::record, NULL::record;
SELECT r FROM r ORDER BY id;
SELECT row_to_json(r), r AS whole FROM r ORDER BY id;
SELECT CASE WHEN id > 1 THEN ROW(id) ELSE ROW(0) END, CASE WHEN true THEN 1 ELSE id END, CASE WHEN true THEN 1 END FROM r ORDER BY id;
SELECT json_agg(r ORDER BY id) FROM r;
SELECT max(ROW(1, 2));
SELECT ROW(1, 2)::int;
CREATE TABLE bad (c record);
CREATE TABLE bad AS SELECT ROW(1, 2) AS c;
INSERT INTO r VALUES (4, ROW(1, 'y z'));
SELECT * FROM r WHERE id = 4;
