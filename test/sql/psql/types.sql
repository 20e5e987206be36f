-- Every supported type as psql prints it, including alignment of numbers, wide characters and NULLs.
\set VERBOSITY sqlstate
CREATE TABLE ty (
  id int PRIMARY KEY, s smallint, b bigint, t text, vc varchar(8), c char(4), ok boolean,
  r real, d double precision, n numeric(10, 3), by bytea, dt date, ts timestamp, tz timestamptz,
  j json, jb jsonb
);
INSERT INTO ty VALUES
  (1, 1, 9223372036854775807, 'text', 'varchar', 'ab', true, 1.5, 0.1, 3.14159, '\x00ff', '2024-01-02',
   '2024-01-02 03:04:05.5', '2024-01-02 03:04:05+02', '{"b": 1, "a": [1, 2]}', '{"b": 1, "a": [1, 2]}'),
  (2, -32768, -1, 'héllo wörld', '日本語', 'é', false, -0.25, 1e100, -0.5, '', '1999-12-31',
   '1999-12-31 23:59:59', '1999-12-31 23:59:59+00', '[]', '{}'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT id, s, b, t, vc, c, ok FROM ty ORDER BY id;
SELECT id, r, d, n, by FROM ty ORDER BY id;
SELECT id, dt, ts, tz FROM ty ORDER BY id;
SELECT id, j, jb FROM ty ORDER BY id;
SELECT 'Infinity'::float8 AS inf, 'NaN'::numeric AS nan, -0.0::float8 AS negzero;
SELECT '' AS empty, NULL AS null, ' ' AS space;
