-- More kinds of link for a channel: GPRS DTUs that dial in, serial ports, and RS-485 buses that
-- halld polls. A link's own settings (identity and packet templates of a DTU; device, baud
-- rate, framing and bus addresses of a serial line) are one JSON object, checked by the
-- importer; host and port stay columns for tcp_client.
ALTER TABLE acquisition_channel DROP CONSTRAINT acquisition_channel_link_check;
ALTER TABLE acquisition_channel
  ADD CONSTRAINT acquisition_channel_link_check CHECK (link IN ('tcp_client', 'dtu', 'serial', 'rs485')),
  ADD COLUMN settings jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
  ADD CONSTRAINT acquisition_channel_dtu_identity CHECK (link <> 'dtu' OR settings->>'identity' <> ''),
  ADD CONSTRAINT acquisition_channel_serial_device CHECK (link NOT IN ('serial', 'rs485') OR settings->>'device' <> '');
-- A DTU is known by its identity: no two channels may claim the same one.
CREATE UNIQUE INDEX acquisition_channel_dtu_identity_idx ON acquisition_channel ((settings->>'identity'))
  WHERE link = 'dtu';
