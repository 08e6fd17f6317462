-- People and intranet API tokens, each with a role and a scope, and the audit log of every
-- change made through the API. Passwords are argon2id PHC strings; tokens are kept only as
-- their SHA-256, so a copy of the database gives no one a working token.
CREATE TABLE app_user (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{1,64}$'),
  display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('province_admin', 'city_manager', 'hall_manager', 'monitor', 'data_clerk')),
  scope_level text NOT NULL CHECK (scope_level IN ('province', 'city', 'hall')),
  scope_code text NOT NULL DEFAULT '',
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  CHECK ((scope_level = 'province') = (scope_code = ''))
);

CREATE TABLE api_token (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_sha256 bytea NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('province_admin', 'city_manager', 'hall_manager', 'monitor', 'data_clerk')),
  scope_level text NOT NULL CHECK (scope_level IN ('province', 'city', 'hall')),
  scope_code text NOT NULL DEFAULT '',
  requests_per_minute integer NOT NULL DEFAULT 600 CHECK (requests_per_minute BETWEEN 1 AND 1000000),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  CHECK ((scope_level = 'province') = (scope_code = ''))
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,          -- 'user:admin', 'token:7 (city 4101 feed)', 'cli'
  role text NOT NULL DEFAULT '',
  remote text NOT NULL DEFAULT '',
  method text NOT NULL,
  path text NOT NULL,
  status smallint NOT NULL,     -- the HTTP status answered: refused attempts are recorded too
  object text NOT NULL DEFAULT '',
  before jsonb,
  after jsonb,
  request jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at);
