-- Years of operation (docs/operations.md, "Retention"): the 15-minute rollups become monthly
-- partitions like the event log, so that retention drops a month whole; what housekeeping did
-- is recorded.

-- Two writers making the same month's partition at once (the engine's flush and a
-- recomputation) queue on a lock instead of one failing on the other's new table.
CREATE OR REPLACE FUNCTION halld_month_partition(parent text, at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  first_instant timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  child text := parent || '_' || to_char(first_instant AT TIME ZONE 'UTC', 'YYYY"m"MM');
BEGIN
  IF to_regclass(child) IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext(child));
    IF to_regclass(child) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', child,
                     parent, first_instant, first_instant + interval '1 month');
    END IF;
  END IF;
  RETURN child;
END $$;

-- kpi_rollup, partitioned by month of bucket. The rows are rewritten once, here.
ALTER TABLE kpi_rollup RENAME TO kpi_rollup_unpartitioned;
ALTER TABLE kpi_rollup_unpartitioned RENAME CONSTRAINT kpi_rollup_pkey TO kpi_rollup_unpartitioned_pkey;
ALTER INDEX kpi_rollup_dimension_bucket_idx RENAME TO kpi_rollup_unpartitioned_dimension_bucket_idx;
CREATE TABLE kpi_rollup (LIKE kpi_rollup_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (bucket);
ALTER TABLE kpi_rollup ADD PRIMARY KEY (hall_id, bucket, dimension, key);
ALTER TABLE kpi_rollup ADD FOREIGN KEY (hall_id) REFERENCES hall (id) ON DELETE CASCADE;
CREATE INDEX kpi_rollup_dimension_bucket_idx ON kpi_rollup (dimension, bucket);
SELECT halld_month_partition('kpi_rollup', month)
  FROM (SELECT DISTINCT date_trunc('month', bucket AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month
          FROM kpi_rollup_unpartitioned) AS months;
INSERT INTO kpi_rollup SELECT * FROM kpi_rollup_unpartitioned;
DROP TABLE kpi_rollup_unpartitioned;

-- One row per thing housekeeping did (or, in a dry run, would do): a partition archived,
-- dropped or loaded back, rows deleted from a small table.
CREATE TABLE retention_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  action text NOT NULL CHECK (action IN ('archived', 'dropped', 'deleted', 'loaded')),
  relation text NOT NULL,                  -- the partition, or the table rows were deleted from
  range_from timestamptz,                  -- a partition's range
  range_to timestamptz,
  rows bigint NOT NULL DEFAULT 0,
  file text,                               -- the archive written or read
  bytes bigint
);
CREATE INDEX retention_log_relation_idx ON retention_log (relation, at);
