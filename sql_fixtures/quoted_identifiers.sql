CREATE TABLE "user; data" ("select" integer PRIMARY KEY, "it's" text, "say ""hi""; ok" text);
INSERT INTO "user; data" VALUES (1, 'a', 'b');
SELECT "select", "it's", "say ""hi""; ok" FROM "user; data";
CREATE VIEW "v; 1" AS SELECT "select" AS "--not a comment", "it's" AS "/*nor this" FROM "user; data";
SELECT "--not a comment", "/*nor this" FROM "v; 1";
