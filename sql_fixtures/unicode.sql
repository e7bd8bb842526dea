-- Ünïcödé identifiers and strings; an emoji 🚀 in a comment;
CREATE TABLE café (id integer PRIMARY KEY, naïve text, "emoji 🚀; col" text);
INSERT INTO café VALUES (1, 'crème brûlée; délicieux', '✓; ok'), (2, '日本語；全角セミコロン', '…');
SELECT naïve, "emoji 🚀; col" FROM café WHERE naïve LIKE '%é%';
