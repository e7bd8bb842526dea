/* Migration: accounts.
   /* Block comments nest in PostgreSQL; this inner one holds a ; */
   Still inside the outer comment; CREATE TABLE nothing (); */
CREATE TABLE accounts (
    id integer PRIMARY KEY, /* surrogate key; /* nested */ still a comment */
    email text NOT NULL     -- unique below; /* not an opener inside a line comment
);
/* /* /* deep; */ */ */ CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));
SELECT 1 /* one */ + /* two; */ 2 AS three;
/* a trailing comment /* with a nested part; */ after the last statement */
