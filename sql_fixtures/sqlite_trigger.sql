CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
CREATE TABLE audit (account_id INTEGER, note TEXT);

CREATE TRIGGER accounts_audit AFTER UPDATE OF balance ON accounts
FOR EACH ROW WHEN new.balance < 0
BEGIN
    INSERT INTO audit VALUES (new.id, 'overdrawn; check');
    UPDATE accounts SET balance = 0 WHERE id = new.id;
END;

create temp trigger accounts_log after insert on accounts begin
    insert into audit values (new.id, 'created; ok');
end;

CREATE TEMPORARY TRIGGER IF NOT EXISTS accounts_cleanup
BEFORE DELETE ON accounts
BEGIN
    DELETE FROM audit WHERE account_id = old.id; -- all of its history; gone
END -- the trigger ends here
;

-- Outside a trigger, BEGIN and END are statements of their own.
BEGIN TRANSACTION;
INSERT INTO accounts (id, balance) VALUES (1, 10);
UPDATE accounts SET balance = -5 WHERE id = 1;
END;
