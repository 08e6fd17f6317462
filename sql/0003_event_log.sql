-- The hall event log: every event a hall device reported, exactly once.
-- A source is one device address on one acquisition channel. Its last_sequence is the highest
-- sequence number stored: devices number their data frames in increasing order and resend
-- what was not acknowledged, so a frame at or below last_sequence is a duplicate. The writer
-- advances it in the same transaction as the rows, which is what makes delivery exactly-once.

CREATE TABLE acquisition_source (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel text NOT NULL CHECK (channel ~ '^[A-Za-z0-9_.-]{1,64}$'),
  address bigint NOT NULL CHECK (address BETWEEN 0 AND 4294967295),
  hall_id integer REFERENCES hall (id),
  last_sequence bigint NOT NULL DEFAULT 0 CHECK (last_sequence BETWEEN 0 AND 4294967295),
  first_seen timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, address)
);

-- kind is the index of the event type in records::EventBody; event_kind names them.
CREATE TABLE event_kind (
  id smallint PRIMARY KEY,
  name text NOT NULL UNIQUE
);
INSERT INTO event_kind (id, name) VALUES
  (0, 'ticket_issued'), (1, 'ticket_called'), (2, 'ticket_recalled'), (3, 'ticket_transferred'),
  (4, 'service_started'), (5, 'service_finished'), (6, 'ticket_abandoned'), (7, 'evaluation'),
  (8, 'window_status'), (9, 'queue_snapshot'), (10, 'terminal_state'), (11, 'part_state'),
  (12, 'terminal_alarm'), (13, 'transaction'), (14, 'settlement');

-- One wide, sparse row per event: the columns a kind does not use are NULL (a bit each).
-- Enum columns hold the wire codes of docs/protocols/. Lists (queue snapshot, settlement) go
-- to detail. Partitioned by month of occurred_at; halld creates the partitions it needs.
CREATE TABLE hall_event (
  hall_id integer NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  source_id integer NOT NULL,
  sequence bigint NOT NULL,
  kind smallint NOT NULL CHECK (kind BETWEEN 0 AND 14),
  ticket text,
  window_no integer,
  staff_no text,
  business text,
  to_business text,
  customer_class smallint,
  ticket_source smallint,
  evaluation smallint,
  window_state smallint,
  abandon_reason smallint,
  terminal text,
  terminal_state smallint,
  part smallint,
  part_state smallint,
  alarm_kind smallint,
  transaction_id text,
  amount_fen bigint,
  payment_method smallint,
  transaction_result smallint,
  duration_s integer,
  customer_no text,
  detail jsonb
) PARTITION BY RANGE (occurred_at);
CREATE INDEX hall_event_hall_time_idx ON hall_event (hall_id, occurred_at);
CREATE INDEX hall_event_source_idx ON hall_event (source_id, sequence);

-- Creates the monthly partition holding `at` unless it exists; returns its name.
CREATE FUNCTION halld_event_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  month_start timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  partition_name text := 'hall_event_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY"m"MM');
BEGIN
  IF to_regclass(partition_name) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF hall_event FOR VALUES FROM (%L) TO (%L)',
                   partition_name, month_start, month_start + interval '1 month');
  END IF;
  RETURN partition_name;
END $$;
