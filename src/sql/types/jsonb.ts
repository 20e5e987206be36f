/**
 * jsonb's text output: PostgreSQL stores jsonb parsed, so output is normalised: ", " and ": " separators,
 * object keys ordered by length then bytes, the last of duplicate keys kept, numbers as numeric writes them
 * (1.0 stays 1.0, 1e2 is 100). The parser is json-value.ts.
 */
export { normalizeJsonb } from './json-value.js';
