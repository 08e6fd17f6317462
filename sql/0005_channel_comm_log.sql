-- Every change of a channel's comm status, for the alarm engine (comm-loss alarms) and for the
-- reliability record of links; and the raw frame tap switch of a channel.
ALTER TABLE acquisition_channel ADD COLUMN tap boolean NOT NULL DEFAULT false;

CREATE TABLE channel_comm_event (
  channel_id integer NOT NULL REFERENCES acquisition_channel (id),
  at timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('up', 'logged_in', 'down')),
  detail text NOT NULL DEFAULT ''
);
CREATE INDEX channel_comm_event_channel_time_idx ON channel_comm_event (channel_id, at);
