-- Two demo authors with a post each, for local development and tests only.
-- dbwarden: env=development,test
-- upgrade
INSERT INTO users (id, email, display_name) VALUES
    (1001, 'ada@example.com', 'Ada'),
    (1002, 'grace@example.com', 'Grace');
INSERT INTO posts (id, author_id, title, body, slug) VALUES
    (2001, 1001, 'Notes on the engine', 'First draft.', 'notes-on-the-engine'),
    (2002, 1002, 'Debugging, literally', 'A moth.', 'debugging-literally');

-- rollback
DELETE FROM posts WHERE id IN (2001, 2002);
DELETE FROM users WHERE id IN (1001, 1002);
