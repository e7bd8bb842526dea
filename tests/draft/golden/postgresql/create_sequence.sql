-- create_sequence
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
CREATE SEQUENCE invoice_no START WITH 1000 INCREMENT BY 10;

-- rollback
DROP SEQUENCE invoice_no;
