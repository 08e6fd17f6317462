-- Sign-in is throttled in memory per (name, address) and per address (api/guard, auth/throttle),
-- never by locking an account in the table: a guesser could lock anyone out that way.
ALTER TABLE app_user DROP COLUMN failed_logins, DROP COLUMN locked_until;

-- Every delivery report stays in a text's history, but only one that moves the text's state
-- forward (queued → sent → delivered | failed) is applied; duplicates and late reports are not.
ALTER TABLE sms_report ADD COLUMN applied boolean NOT NULL DEFAULT true;

-- status 0: a change to memory whose record was committed ahead of it and whose outcome has
-- not been added (api/guard.hpp, AuditRecord).
COMMENT ON COLUMN audit_log.status IS 'HTTP status answered; 0 = no HTTP answer: a command-line change (method CLI), or a change recorded ahead whose outcome was not added';
