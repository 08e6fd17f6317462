-- Facility devices (设施): a hall's environment sensors, meters, air conditioners, lights and
-- people counters, polled by halld as a Modbus master over a channel of protocol 'modbus' (its
-- devices, each with the registry's device model of its register map, are in the channel's
-- settings). Their readings are a time series partitioned by month like the event log.
ALTER TABLE acquisition_channel DROP CONSTRAINT acquisition_channel_protocol_check;
ALTER TABLE acquisition_channel
  ADD CONSTRAINT acquisition_channel_protocol_check
    CHECK (protocol IN ('queue_eval', 'terminal', 'modbus')),
  ADD CONSTRAINT acquisition_channel_modbus_devices
    CHECK (protocol <> 'modbus' OR (jsonb_typeof(settings->'devices') = 'array'
                                    AND hall_id IS NOT NULL));

ALTER TABLE protocol_description DROP CONSTRAINT protocol_description_family_check;
ALTER TABLE protocol_description
  ADD CONSTRAINT protocol_description_family_check
    CHECK (family IN ('queue_eval', 'terminal', 'modbus'));
ALTER TABLE protocol_description DROP CONSTRAINT protocol_description_name_check;
ALTER TABLE protocol_description
  ADD CONSTRAINT protocol_description_name_check
    CHECK (name ~ '^[a-z0-9_]{1,40}$' AND name NOT IN ('queue_eval', 'terminal', 'modbus'));

-- One row per point per poll that answered: the device's code and the point's name as the
-- archive and the model give them (a device model may change; the row keeps what was read).
CREATE TABLE facility_reading (
  hall_id integer NOT NULL REFERENCES hall (id),
  device text NOT NULL,
  point text NOT NULL,
  read_at timestamptz NOT NULL,
  value double precision NOT NULL
) PARTITION BY RANGE (read_at);
CREATE INDEX facility_reading_hall_device_time_idx ON facility_reading (hall_id, device, point, read_at);

-- Creates the monthly partition of `parent` (hall_event, facility_reading) holding `at` unless it
-- exists; returns its name. halld_event_partition (0003) becomes its case for hall_event.
CREATE FUNCTION halld_month_partition(parent text, at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  first_instant timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  child text := parent || '_' || to_char(first_instant AT TIME ZONE 'UTC', 'YYYY"m"MM');
BEGIN
  IF to_regclass(child) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', child, parent,
                   first_instant, first_instant + interval '1 month');
  END IF;
  RETURN child;
END $$;
CREATE OR REPLACE FUNCTION halld_event_partition(at timestamptz) RETURNS text
LANGUAGE sql AS $$ SELECT halld_month_partition('hall_event', at) $$;
