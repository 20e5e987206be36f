-- NoticeResponse as psql prints it (default verbosity): IF [NOT] EXISTS skips, transaction warnings,
-- identifier truncation.
CREATE TABLE t (id int PRIMARY KEY);
CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY);
DROP TABLE IF EXISTS nosuch;
DROP INDEX IF EXISTS nosuch_idx;
CREATE INDEX t_id ON t (id);
CREATE INDEX IF NOT EXISTS t_id ON t (id);
ALTER TABLE t ADD COLUMN IF NOT EXISTS id int;
COMMIT;
BEGIN;
BEGIN;
ROLLBACK;
ROLLBACK;
CREATE TABLE a_very_long_name_that_is_longer_than_sixty_three_bytes_and_gets_truncated (x int);
SET client_min_messages = warning;
DROP TABLE IF EXISTS nosuch;
COMMIT;
RESET client_min_messages;
DROP TABLE IF EXISTS nosuch;
