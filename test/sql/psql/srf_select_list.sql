-- Set-returning functions in the select list: the column names PostgreSQL gives them, EXPLAIN, errors.
\set VERBOSITY sqlstate
SELECT generate_series(1, 2);
SELECT unnest(ARRAY['a', 'b']), 'x';
SELECT generate_series(1, 2) * 2, upper(jsonb_object_keys('{"k": 1}'::jsonb));
SELECT jsonb_array_elements('[1, 2]'::jsonb), jsonb_array_elements_text('["a"]'::jsonb), json_object_keys('{"q": 0}');
SELECT generate_series(1, 3) AS g, unnest(ARRAY[10, 20]) u ORDER BY g DESC;
SELECT CASE WHEN true THEN generate_series(1, 2) END;
SELECT id FROM (VALUES (1)) v (id) WHERE generate_series(1, 2) > id;
