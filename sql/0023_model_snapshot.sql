-- The real-time model's snapshot (docs/architecture.md, "Fast start"): halld restores each hall
-- from here and the events received after it instead of replaying two days of the log.
-- One row says when it was taken, from which reception time the log must be read again, and
-- where each source stood (live/snapshot and store/model_store read the blobs; the format
-- names their layout, and a snapshot of another format is not used).
CREATE TABLE model_snapshot (
  single boolean PRIMARY KEY DEFAULT true CHECK (single),
  format integer NOT NULL,
  taken_at timestamptz NOT NULL,
  replay_from timestamptz NOT NULL,
  sources bytea NOT NULL
);

-- A hall's model, last hour and day (zlib-compressed by halld, so kept out of line as it is).
CREATE TABLE model_hall_state (
  hall_id integer PRIMARY KEY REFERENCES hall (id) ON DELETE CASCADE,
  horizon timestamptz NOT NULL,
  state bytea NOT NULL
);
ALTER TABLE model_hall_state ALTER COLUMN state SET STORAGE EXTERNAL;

-- The tallies of one 15-minute bucket of a hall, rewritten while the bucket changes.
CREATE TABLE model_hall_bucket (
  hall_id integer NOT NULL REFERENCES hall (id) ON DELETE CASCADE,
  bucket timestamptz NOT NULL,
  tallies bytea NOT NULL,
  PRIMARY KEY (hall_id, bucket)
);
ALTER TABLE model_hall_bucket ALTER COLUMN tallies SET STORAGE EXTERNAL;

-- The events received since a snapshot are read by reception time; rows arrive in that order,
-- so a block-range index finds them for a few pages of upkeep.
CREATE INDEX hall_event_received_idx ON hall_event USING brin (received_at);

-- When each source's latest stored event was received (advanced with last_sequence): a start
-- knows from it which events every source has in the model, whatever it rebuilt them from.
ALTER TABLE acquisition_source ADD COLUMN last_received_at timestamptz;
