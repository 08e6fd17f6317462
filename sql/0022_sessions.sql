-- Browser sessions in the database as well as in each node's memory, so that a standby taking
-- over, or a restart, signs nobody out. Keyed by the SHA-256 of the cookie value, as tokens are:
-- the table gives no usable cookie. Times are the database's clock.
CREATE TABLE app_session (
  cookie_sha256 bytea PRIMARY KEY,
  user_id integer NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX app_session_user_idx ON app_session (user_id);
