-- drop_sequence
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
DROP SEQUENCE invoice_no;

-- rollback
CREATE SEQUENCE invoice_no START WITH 1000;
