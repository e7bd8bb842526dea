-- SQLite quotes identifiers three ways: "double", `backtick` and [bracket].
CREATE TABLE [order; items] (`group` TEXT, [select] INTEGER, "from" TEXT, `a``b;` TEXT, [x"y'] TEXT);
INSERT INTO [order; items] VALUES ('g;1', 1, 'f', 'ab', 'xy');
SELECT `group`, [select], "from", `a``b;`, [x"y'] FROM [order; items] WHERE `group` = 'g;1';
CREATE VIEW `v;1` AS SELECT * FROM [order; items];
DROP VIEW `v;1`;
