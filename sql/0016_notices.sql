-- Notices on the halls' information screens and LED boards (seed 000 §3.4: "下发控制命令和多媒体
-- 发布信息"): a zh-CN text for one hall, a city or the province, with a validity period and a
-- priority. A hall's boards show one text at a time: the current notice of highest priority
-- (the newest among equals). halld keeps each hall's boards in step with that choice through
-- the queue system's show_message / clear_message commands (notice/store).
CREATE TABLE hall_notice (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  level text NOT NULL CHECK (level IN ('hall', 'city', 'province')),
  city_id integer REFERENCES city_company (id),
  hall_id integer REFERENCES hall (id),
  CHECK ((level = 'province' AND city_id IS NULL AND hall_id IS NULL)
      OR (level = 'city' AND city_id IS NOT NULL AND hall_id IS NULL)
      OR (level = 'hall' AND city_id IS NULL AND hall_id IS NOT NULL)),
  text text NOT NULL CHECK (octet_length(text) BETWEEN 1 AND 255),
  priority smallint NOT NULL CHECK (priority BETWEEN 1 AND 3),  -- 1 normal, 2 important, 3 urgent
  display text NOT NULL DEFAULT 'all' CHECK (display IN ('all', 'screens', 'led_boards')),
  valid_from timestamptz NOT NULL,
  valid_until timestamptz NOT NULL CHECK (valid_until > valid_from),
  emergency_id bigint REFERENCES emergency (id),  -- published by a plan's step
  published_by text NOT NULL,
  published_at timestamptz NOT NULL,
  withdrawn_by text,
  withdrawn_at timestamptz,
  withdraw_reason text NOT NULL DEFAULT ''
);
CREATE INDEX hall_notice_live_idx ON hall_notice (valid_until) WHERE withdrawn_at IS NULL;
CREATE INDEX hall_notice_emergency_idx ON hall_notice (emergency_id) WHERE emergency_id IS NOT NULL;

-- What each hall's boards were last told: the notice they show (none: cleared), the command that
-- carried it, and until when the boards keep it on their own (the command's seconds), so that a
-- silent halld never leaves a stale notice up for long.
CREATE TABLE hall_notice_display (
  hall_id integer PRIMARY KEY REFERENCES hall (id),
  notice_id bigint REFERENCES hall_notice (id),
  command_id bigint REFERENCES hall_command (id),
  sent_at timestamptz NOT NULL,
  shown_until timestamptz,
  detail text NOT NULL DEFAULT ''  -- why nothing could be sent (the hall has no queue system …)
);

-- Every delivery: a notice shown, refreshed or cleared in a hall, or why it could not be.
CREATE TABLE hall_notice_delivery (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  notice_id bigint NOT NULL REFERENCES hall_notice (id),
  hall_id integer NOT NULL REFERENCES hall (id),
  action text NOT NULL CHECK (action IN ('show', 'refresh', 'clear', 'undeliverable')),
  command_id bigint REFERENCES hall_command (id),
  at timestamptz NOT NULL,
  detail text NOT NULL DEFAULT ''
);
CREATE INDEX hall_notice_delivery_notice_idx ON hall_notice_delivery (notice_id, hall_id, id);
