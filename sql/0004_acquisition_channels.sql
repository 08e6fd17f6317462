-- Acquisition channels (采集通道): a link plus a protocol plus what it covers. A channel of a
-- hall's queue server covers that hall; a terminal-management server may cover a whole city
-- (hall_id NULL, halls found through the terminals it names).
CREATE TABLE acquisition_channel (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
  hall_id integer REFERENCES hall (id),
  protocol text NOT NULL CHECK (protocol IN ('queue_eval', 'terminal')),
  link text NOT NULL CHECK (link IN ('tcp_client')),
  host text NOT NULL DEFAULT '',
  port integer CHECK (port BETWEEN 1 AND 65535),
  site text NOT NULL CHECK (site <> ''),  -- what the device names in its login
  enabled boolean NOT NULL DEFAULT true,
  CHECK (link <> 'tcp_client' OR (host <> '' AND port IS NOT NULL))
);
CREATE INDEX acquisition_channel_hall_idx ON acquisition_channel (hall_id);
