-- alter_sequence
-- drafted by `dbwarden make-migrations` from the models: review it, then `dbwarden migrate`
-- upgrade
ALTER SEQUENCE invoice_no INCREMENT BY 5;

-- rollback
ALTER SEQUENCE invoice_no INCREMENT BY 1;
