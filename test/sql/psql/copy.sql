-- COPY FROM STDIN (text format: tabs, \N for NULL, backslash escapes) and COPY TO STDOUT, through psql.
\set VERBOSITY sqlstate
CREATE TABLE c (id int PRIMARY KEY, name text, score numeric(5, 1), seen date, ok boolean);
COPY c FROM STDIN;
1	ann	10.5	2024-01-01	t
2	bob	\N	\N	f
3	tab\there	-1	1999-12-31	\N
4	back\\slash	0	2000-02-29	true
5	new\nline	7.25	2024-06-30	false
\.
SELECT * FROM c ORDER BY id;
COPY c TO STDOUT;
COPY c (id, name) TO STDOUT;
COPY (SELECT id, score FROM c WHERE score > 0 ORDER BY id) TO STDOUT;
COPY c TO STDOUT WITH (FORMAT csv, HEADER);
COPY c (id, name) FROM STDIN;
6	eve
1	duplicate
\.
SELECT count(*) FROM c;
COPY c (id, name) FROM STDIN;
7	bad	extra column
\.
COPY c (id, score) FROM STDIN;
8	not a number
\.
COPY c FROM STDIN WITH (FORMAT csv);
9,"quoted, with comma",1.0,2024-01-01,t
10,,,,
\.
SELECT id, name, score FROM c WHERE id >= 9 ORDER BY id;
COPY nosuch FROM STDIN;
\.
