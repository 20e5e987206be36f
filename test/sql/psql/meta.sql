-- psql meta-commands that work without the catalog: \echo, \set and variables, \pset formats,
-- expanded output, tuples only, \gset, \if.
\set VERBOSITY sqlstate
\echo hello from psql
CREATE TABLE m (id int PRIMARY KEY, name text, score int);
INSERT INTO m VALUES (1, 'ann', 10), (2, 'bob', NULL), (3, 'cat', 30);
\set lim 2
SELECT id, name FROM m ORDER BY id LIMIT :lim;
\set who 'bob'
SELECT id FROM m WHERE name = :'who';
\pset null '<null>'
SELECT * FROM m ORDER BY id;
\pset null ''
\x on
SELECT * FROM m WHERE id = 1;
\x off
\a
SELECT * FROM m ORDER BY id;
\a
\t on
SELECT name FROM m ORDER BY id;
\t off
\pset format csv
SELECT * FROM m ORDER BY id;
\pset format aligned
\pset border 2
SELECT * FROM m ORDER BY id;
\pset border 1
SELECT max(score) AS top FROM m \gset
\echo top is :top
\if :{?top}
\echo top is set
\endif
SELECT name FROM m WHERE score = :top;
\pset footer off
SELECT count(*) FROM m;
