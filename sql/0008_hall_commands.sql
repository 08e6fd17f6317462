-- Downlink commands to hall devices (open a window, show a message, take a terminal out of
-- service …), queued by operators and the API, sent by halld over the channel, answered by the
-- device. The table is the queue and the record: who asked, what, when it went out, what came back.
CREATE TABLE hall_command (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel_id integer NOT NULL REFERENCES acquisition_channel (id),
  address bigint NOT NULL CHECK (address BETWEEN 0 AND 4294967295),  -- the device within the channel
  command jsonb NOT NULL,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,  -- not sent by then: expired
  state text NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'sent', 'done', 'refused', 'unsupported', 'failed', 'expired')),
  sent_at timestamptz,
  answered_at timestamptz,
  detail text NOT NULL DEFAULT ''
);
CREATE INDEX hall_command_open_idx ON hall_command (channel_id, id) WHERE state IN ('queued', 'sent');
