-- Sequence numbers are serial and may restart (docs/protocols/framing.md, "Sequence numbers"):
-- a source remembers the epoch its device declared in its login (version 2), and how often
-- and when its numbering started afresh.
ALTER TABLE acquisition_source
  ADD COLUMN epoch bigint CHECK (epoch BETWEEN 0 AND 4294967295),
  ADD COLUMN restarts integer NOT NULL DEFAULT 0,
  ADD COLUMN last_restart_at timestamptz;

-- An event whose device time lies outside the channel's clock bounds is stored under halld's
-- reception time (occurred_at) with the device's own time here, and no KPI counts it.
ALTER TABLE hall_event ADD COLUMN device_at timestamptz;
COMMENT ON COLUMN hall_event.device_at IS
  'the device''s time of an event outside the clock bounds (then occurred_at is halld''s reception time); NULL for every event inside them';

-- A device whose clock is off by more than the channel's bounds (acquisition.clock_ahead_s,
-- clock_behind_days) raises this; its events are kept out of every KPI meanwhile.
ALTER TABLE alarm_rule DROP CONSTRAINT alarm_rule_kind_check;
ALTER TABLE alarm_rule ADD CONSTRAINT alarm_rule_kind_check
  CHECK (kind IN ('limit', 'terminal_fault', 'part_fault', 'door_open', 'comm_loss', 'clock_skew'));
INSERT INTO alarm_rule (name, kind, indicator, warning, critical, clear_at, hold_s, clear_hold_s, schedule) VALUES
  ('设备时钟偏差', 'clock_skew', NULL, 1, 3600, NULL, 0, 0, 'always');

-- A ticket that missed its call is an abandonment as well as a call (docs/kpi.md): the
-- abandonment rate counts such a customer once, L / (N + L − M), M being this column.
ALTER TABLE kpi_rollup ADD COLUMN called_no_shows bigint NOT NULL DEFAULT 0;
ALTER TABLE kpi_daily ADD COLUMN called_no_shows bigint NOT NULL DEFAULT 0;
