-- psql's catalog meta-commands on a small schema: \dt, \d <table>, \di, \d for a table without a key.
\set VERBOSITY sqlstate
CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12, 2) DEFAULT 0, email varchar(100) UNIQUE, created date);
CREATE TABLE notes (body text, n int);
CREATE INDEX notes_n ON notes (n);
CREATE TABLE pairs (a int, b text, PRIMARY KEY (a, b));
\dt
\d accounts
\d notes
\d pairs
\di
\d nosuch
