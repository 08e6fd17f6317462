-- Every delivery report a gateway sent for a text, in arrival order (Kannel's report types:
-- 1 delivered, 2 not delivered, 4 buffered, 8 accepted by the SMSC, 16 rejected by the SMSC).
CREATE TABLE sms_report (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id bigint NOT NULL REFERENCES sms_message (id) ON DELETE CASCADE,
  status smallint NOT NULL CHECK (status IN (1, 2, 4, 8, 16)),
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_report_message_idx ON sms_report (message_id);
CREATE INDEX sms_message_queued_idx ON sms_message (id) WHERE state = 'queued';
