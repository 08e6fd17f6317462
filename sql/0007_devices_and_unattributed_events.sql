-- Devices on a polled RS-485 bus answer, or stop answering, one by one while the bus itself
-- stays up: their changes are comm events of the channel too, naming the device in detail.
ALTER TABLE channel_comm_event DROP CONSTRAINT channel_comm_event_state_check;
ALTER TABLE channel_comm_event ADD CONSTRAINT channel_comm_event_state_check
  CHECK (state IN ('up', 'logged_in', 'down', 'device_up', 'device_down'));

-- A terminal-management server that speaks for many halls may name a terminal not yet in the
-- archives. Its events are accepted all the same (the device's stream must not stall, and a
-- later event of the same source would make the earlier one look like a duplicate); they wait
-- without a hall until an import places the terminal, which attributes them.
ALTER TABLE hall_event ALTER COLUMN hall_id DROP NOT NULL;
CREATE INDEX hall_event_unattributed_idx ON hall_event (terminal) WHERE hall_id IS NULL;
