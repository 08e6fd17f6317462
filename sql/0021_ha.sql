-- Active/standby halld nodes on one database (docs/operations.md, "A standby halld"): the node
-- holding the lease acquires, judges alarms and sends texts; the others wait. Times are the
-- database's clock, so that the nodes' own clocks never decide who is active.
CREATE TABLE ha_lease (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),  -- one row
  holder text,                                     -- NULL: free (released at a clean stop)
  term bigint NOT NULL DEFAULT 0,                  -- +1 at every take-over
  renewed_at timestamptz
);
INSERT INTO ha_lease DEFAULT VALUES;

CREATE TABLE ha_node (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
  address text NOT NULL DEFAULT '',                -- where clients reach it (ha.address)
  state text NOT NULL CHECK (state IN ('active', 'standby', 'stopped')),
  pid integer NOT NULL,
  version text NOT NULL,
  started_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL
);
