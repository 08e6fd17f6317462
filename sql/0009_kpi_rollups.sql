-- KPI rollups (docs/kpi.md): the additive tallies of kpi::Tally per hall per 15-minute bucket
-- and per dimension, and per hall per local day on top. History queries read these, never the
-- event log. Both are derived data: halld rewrites a hall's bucket (or day) whole whenever its
-- events change, and `halld recompute` rebuilds any range from the event log.
-- dimension: 0 hall (key ''), 1 business type, 2 window number, 3 clerk, 4 terminal,
-- 5 payment method (wire code), 6 terminal part (wire code).
CREATE TABLE kpi_rollup (
  hall_id integer NOT NULL REFERENCES hall (id) ON DELETE CASCADE,
  bucket timestamptz NOT NULL,
  dimension smallint NOT NULL CHECK (dimension BETWEEN 0 AND 6),
  key text NOT NULL,
  arrivals bigint NOT NULL DEFAULT 0,
  calls bigint NOT NULL DEFAULT 0,
  wait_sum_s bigint NOT NULL DEFAULT 0,
  wait_max_s bigint NOT NULL DEFAULT 0,
  calls_within_target bigint NOT NULL DEFAULT 0,
  abandoned bigint NOT NULL DEFAULT 0,
  abandoned_wait_sum_s bigint NOT NULL DEFAULT 0,
  wait_histogram bigint[] NOT NULL DEFAULT '{}',  -- calls by wait bin (kpi::wait_bin), trailing zeros cut
  served bigint NOT NULL DEFAULT 0,
  handled bigint NOT NULL DEFAULT 0,
  handling_sum_s bigint NOT NULL DEFAULT 0,
  handled_over_target bigint NOT NULL DEFAULT 0,
  weighted_served_milli bigint NOT NULL DEFAULT 0,
  not_evaluated bigint NOT NULL DEFAULT 0,
  very_satisfied bigint NOT NULL DEFAULT 0,
  satisfied bigint NOT NULL DEFAULT 0,
  basic bigint NOT NULL DEFAULT 0,
  dissatisfied bigint NOT NULL DEFAULT 0,
  weighted_evaluated_milli bigint NOT NULL DEFAULT 0,
  weighted_score_milli bigint NOT NULL DEFAULT 0,
  serving_s bigint NOT NULL DEFAULT 0,
  idle_s bigint NOT NULL DEFAULT 0,
  paused_s bigint NOT NULL DEFAULT 0,
  available_s bigint NOT NULL DEFAULT 0,
  observed_s bigint NOT NULL DEFAULT 0,
  transactions bigint NOT NULL DEFAULT 0,
  transactions_ok bigint NOT NULL DEFAULT 0,
  transactions_failed bigint NOT NULL DEFAULT 0,
  amount_fen bigint NOT NULL DEFAULT 0,
  faults bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (hall_id, bucket, dimension, key)
);
-- City and province queries pick a dimension over a range of time, across halls.
CREATE INDEX kpi_rollup_dimension_bucket_idx ON kpi_rollup (dimension, bucket);

-- The same per local day of the hall (its opening hours' calendar day).
CREATE TABLE kpi_daily (LIKE kpi_rollup INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE kpi_daily DROP COLUMN bucket;
ALTER TABLE kpi_daily ADD COLUMN day date NOT NULL;
ALTER TABLE kpi_daily ADD PRIMARY KEY (hall_id, day, dimension, key);
ALTER TABLE kpi_daily ADD FOREIGN KEY (hall_id) REFERENCES hall (id) ON DELETE CASCADE;
CREATE INDEX kpi_daily_dimension_day_idx ON kpi_daily (dimension, day);

-- Hall-days whose rollups must be rebuilt from the event log: events arrived for a day the
-- live engine no longer holds (a DTU back after a long outage). Cleared once rebuilt.
CREATE TABLE kpi_stale_day (
  hall_id integer NOT NULL REFERENCES hall (id) ON DELETE CASCADE,
  day date NOT NULL,
  noted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (hall_id, day)
);
