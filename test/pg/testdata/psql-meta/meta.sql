-- psql meta-commands against a small schema: serial and bigserial, a composite and a descending index,
-- a unique constraint and a unique index, NOT NULL, defaults of several kinds, a table without a primary
-- key. Run with `psql -X -q -f meta.sql`; the expected output comes from PostgreSQL 15
-- (scripts/psql-meta-expected.sh).
CREATE TABLE users (id serial PRIMARY KEY, name varchar(40) NOT NULL, email text UNIQUE, created timestamptz DEFAULT now(), active boolean NOT NULL DEFAULT true);
CREATE TABLE orders (id bigserial PRIMARY KEY, user_id int NOT NULL, amount numeric(10,2), note text);
CREATE INDEX orders_user_idx ON orders (user_id, id DESC);
CREATE UNIQUE INDEX orders_note_key ON orders (note);
CREATE TABLE events (kind char(8), payload jsonb, at date DEFAULT '2024-01-01', n int8 DEFAULT 0);
CREATE TABLE defaults (a int DEFAULT -1, b int8 DEFAULT 5000000000, c numeric(10,2) DEFAULT '1.5', d numeric DEFAULT -1.5, e varchar(10) DEFAULT 'x', f char(3) DEFAULT 'y', g text DEFAULT 'it''s', h timestamp DEFAULT '2024-01-01', i timestamptz DEFAULT current_timestamp, j bool DEFAULT 'true', k float8 DEFAULT 1.5, l int DEFAULT 1 + 2 * 3, m text DEFAULT lower('A'), n int DEFAULT '7', o date DEFAULT current_date, p text DEFAULT 'a' || 'b', q int2 DEFAULT 3, r jsonb DEFAULT '{"a":1}', s float4 DEFAULT -2, u bytea DEFAULT '\x01', v int DEFAULT (1 + 2) * 3);
CREATE TABLE defaults2 (a int DEFAULT CASE WHEN 1 > 0 THEN 1 ELSE 2 END, b int DEFAULT coalesce(NULL, 3), c int DEFAULT greatest(1, 2), d int DEFAULT -(2), e int DEFAULT nullif(1, 2), f bool DEFAULT (NOT true), g bool DEFAULT (1 IS NULL), h int DEFAULT NULL, i int DEFAULT CASE 1 WHEN 2 THEN 3 END, j bool DEFAULT (true AND (1 IS NOT NULL)));
CREATE TABLE "Mixed Case" ("Id" int PRIMARY KEY, "select" text);
\echo '### \\d'
\d
\echo '### \\dt'
\dt
\echo '### \\di'
\di
\echo '### \\dn'
\dn
\echo '### \\l postgres'
\l postgres
\echo '### \\d users'
\d users
\echo '### \\d orders'
\d orders
\echo '### \\d events'
\d events
\echo '### \\d defaults'
\d defaults
\echo '### \\d defaults2'
\d defaults2
\echo '### \\d "Mixed Case"'
\d "Mixed Case"
\echo '### \\d+ users'
\d+ users
\echo '### \\d users_id_seq'
\d users_id_seq
\echo '### \\du'
\du
\echo '### \\df'
\df
\echo '### \\ds'
\ds
\echo '### \\dp'
\dp
\echo '### \\db'
\db
\echo '### \\d users_pkey'
\d users_pkey
\echo '### \\dt u*'
\dt u*
\echo '### \\d nope'
\d nope
\echo '### catalog SQL'
SELECT 'abc' ~ 'b', 'abc' !~ '^b', 'ABC' ~* 'b', 'ABC' !~* 'x', 'a.c' ~ '^a\.c$', 'x1' ~ '[[:digit:]]';
SELECT 'users'::regclass, 'public.users'::regclass::text, 'pg_class'::regclass::oid, '"Mixed Case"'::regclass;
SELECT 1 = any('{1,2}'), 3 = any(array[1,2]), 2 <> all(array[1,3]), null::int = any(array[1]), 1 = any(array[null,1]), 2 = any(array[null,1]);
SELECT array[1,2,3], (array[1,2,3])[2], (array['a','b c',null])[3] IS NULL, array['a','b c',null,'','NULL'];
SELECT array_to_string(array[1,null,3], ','), array_to_string(array[1,null,3], ',', '*'), array_upper(array[1,2],1), array_length('{}'::int[], 1), cardinality(array[1,2]);
SELECT array(SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE relkind = 'r' AND nspname = 'public' ORDER BY 1);
SELECT s, s * 2 FROM generate_series(1, 3) s;
SELECT x FROM unnest(array['a','b']) x;
SELECT * FROM generate_series(5, 1, -2);
SELECT '{1,2}'::int[] || array[3], '{"a,b",c}'::text[], array[]::int[], array[1, 2]::text[];
SELECT 1 = any(null::int[]), 1 = all('{}'::int[]), 'b' = any(array(SELECT relname::text FROM pg_class));
SELECT pg_size_pretty(0::int8), pg_size_pretty(10239::int8), pg_size_pretty(10240::int8), pg_size_pretty(123456789::int8), pg_size_pretty(-20000000000::int8);
SELECT quote_ident('a'), quote_ident('A b'), quote_ident('select'), quote_ident('x"y');
SELECT format_type(1043, 44), format_type(1042, -1), format_type(1042, NULL), format_type(23, NULL);
SELECT 'x' COLLATE "C" < 'y', 'x' < 'y' COLLATE pg_catalog.default;
SELECT current_schemas(true), current_schemas(false), array_position(array['a','b'], 'b');
SELECT pg_get_indexdef('orders_user_idx'::regclass), pg_get_serial_sequence('users', 'id');
SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'users'::regclass ORDER BY 1;
SELECT relname, relkind, relhasindex FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'public' ORDER BY 1;
SELECT attname, format_type(atttypid, atttypmod), attnotnull, atthasdef FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 ORDER BY attnum;
SELECT table_name, column_name, is_nullable, data_type FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position;
SELECT nspname, pg_get_userbyid(nspowner) <> '' FROM pg_namespace WHERE nspname !~ '^pg_' ORDER BY 1;
SELECT b.oid, b.typarray FROM pg_catalog.pg_type a LEFT JOIN pg_catalog.pg_type b ON b.oid = a.typelem WHERE a.typcategory = 'A' AND b.typname IN ('int4', 'text', 'bool') GROUP BY b.oid, b.typarray ORDER BY b.oid;
-- pgbench's GetTableInfo (before a run with a built-in script): a LATERAL subquery with a column alias list
select o.n, p.partstrat, pg_catalog.count(i.inhparent) from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on (n.oid = c.relnamespace) cross join lateral (select pg_catalog.array_position(pg_catalog.current_schemas(true), n.nspname)) as o(n) left join pg_catalog.pg_partitioned_table as p on (p.partrelid = c.oid) left join pg_catalog.pg_inherits as i on (c.oid = i.inhparent) where c.relname = 'orders' and o.n is not null group by 1, 2 order by 1 asc limit 1;
CREATE TABLE lt (id int PRIMARY KEY, n int);
INSERT INTO lt VALUES (1, 2), (2, 0), (3, 3);
SELECT lt.id, x.k FROM lt CROSS JOIN LATERAL (SELECT lt.n * 10 AS k) x ORDER BY 1;
SELECT lt.id, s FROM lt, generate_series(1, lt.n) s ORDER BY 1, 2;
SELECT lt.id, y.m FROM lt LEFT JOIN LATERAL (SELECT max(g) AS m FROM generate_series(1, lt.n) g HAVING max(g) > 1) y ON true ORDER BY 1;
SELECT lt.id, z.g FROM lt LEFT JOIN LATERAL generate_series(1, lt.n) z(g) ON z.g > 1 ORDER BY 1, 2;
-- introspection queries drivers and ORMs send
SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'orders'::regclass AND i.indisprimary;
SELECT indkey, indoption, indkey[0], indkey[1], indkey[2], array_lower(indkey, 1), array_upper(indkey, 1) FROM pg_index WHERE indexrelid = 'orders_user_idx'::regclass;
SELECT * FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename;
SELECT * FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname;
SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('public', 'pg_catalog', 'information_schema') ORDER BY 1;
SELECT c.relname, a.attname, t.typname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_type t ON t.oid = a.atttypid WHERE c.relname = 'events' AND a.attnum > 0 ORDER BY a.attnum;
SELECT table_name, column_name, ordinal_position, column_default, is_nullable, data_type, character_maximum_length, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, udt_name, is_identity, is_generated, is_updatable FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ('users', 'orders', 'events', 'defaults') ORDER BY table_name, ordinal_position;
SELECT table_name, table_type, is_insertable_into, is_typed FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1;
SELECT tc.table_name, tc.constraint_name, tc.constraint_type, kcu.column_name, kcu.ordinal_position FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name WHERE tc.table_schema = 'public' AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY 1, 2, 5;
SELECT table_name, count(*) FROM information_schema.table_constraints WHERE table_schema = 'public' AND constraint_type = 'CHECK' GROUP BY 1 ORDER BY 1;
SELECT E'a\nb' ~ 'a.b', 'ab' ~ '(?i)A', 'foo bar' ~ '\mbar', 'foo bar' ~ 'o\M', 'x]' ~ '[]]', 'a-b' ~ '^[a\-]+', 'tab	x' ~ '[[:space:]]x$';
SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'defaults2' ORDER BY ordinal_position;
SELECT pg_get_expr(adbin, adrelid), pg_get_expr(adbin, adrelid, true) FROM pg_attrdef WHERE adrelid = 'defaults'::regclass ORDER BY adnum;
SELECT array_agg(x), array_agg(DISTINCT x), array_agg(y) FROM (VALUES (1, 'a'), (2, NULL), (1, 'c')) v(x, y);
SELECT array_agg(x) IS NULL FROM (VALUES (1)) v(x) WHERE x > 1;
SELECT i.relname, array_agg(a.attname) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey) WHERE x.indrelid = 'users'::regclass GROUP BY i.relname ORDER BY 1;
SELECT count(*) FROM pg_enum;
SELECT array_agg(DISTINCT x), string_agg(DISTINCT y, ','), array_agg(DISTINCT y), count(DISTINCT y) FROM (VALUES (2, 'b'), (1, 'a'), (2, 'b'), (3, NULL)) v(x, y);
