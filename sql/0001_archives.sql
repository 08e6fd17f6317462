-- Archives (档案): the province, its city companies and business halls, and everything a hall
-- holds. Codes are the keys people and files use; integer ids are what later event tables
-- reference, so a hall's or terminal's events stay small and joins stay cheap.

CREATE TABLE province (
  code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
  name text NOT NULL CHECK (name <> '')
);

CREATE TABLE city_company (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
  name text NOT NULL CHECK (name <> '')
);

CREATE TABLE business_type (
  code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
  name text NOT NULL CHECK (name <> ''),
  name_en text NOT NULL DEFAULT '',
  channel text NOT NULL CHECK (channel IN ('counter', 'self_service', 'both')),
  target_handling_min integer NOT NULL CHECK (target_handling_min BETWEEN 1 AND 480)
);

CREATE TABLE customer_class (
  code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
  name text NOT NULL CHECK (name <> ''),
  name_en text NOT NULL DEFAULT '',
  weight numeric(6, 2) NOT NULL CHECK (weight > 0)
);

CREATE TABLE hall (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
  name text NOT NULL CHECK (name <> ''),
  city_id integer NOT NULL REFERENCES city_company (id),
  county text NOT NULL DEFAULT '',
  address text NOT NULL DEFAULT '',
  latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
  level text NOT NULL CHECK (level IN ('A', 'B', 'C', 'D')),
  target_wait_min integer NOT NULL DEFAULT 20 CHECK (target_wait_min BETWEEN 1 AND 240),
  status text NOT NULL CHECK (status IN ('open', 'suspended', 'closed')),
  timezone text NOT NULL DEFAULT 'Asia/Shanghai'
);
CREATE INDEX hall_city_idx ON hall (city_id);

-- One row per weekday the hall opens (1 = Monday); a missing weekday means closed.
CREATE TABLE hall_opening_hours (
  hall_id integer NOT NULL REFERENCES hall (id) ON DELETE CASCADE,
  weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  opens time NOT NULL,
  closes time NOT NULL,
  lunch_starts time,
  lunch_ends time,
  PRIMARY KEY (hall_id, weekday),
  CHECK (opens < closes),
  CHECK ((lunch_starts IS NULL) = (lunch_ends IS NULL)),
  CHECK (lunch_starts IS NULL OR (opens < lunch_starts AND lunch_starts < lunch_ends AND lunch_ends < closes))
);

-- Holidays and other days that differ from the weekly hours; opens IS NULL means closed all day.
CREATE TABLE hall_calendar_exception (
  hall_id integer NOT NULL REFERENCES hall (id) ON DELETE CASCADE,
  day date NOT NULL,
  opens time,
  closes time,
  lunch_starts time,
  lunch_ends time,
  note text NOT NULL DEFAULT '',
  PRIMARY KEY (hall_id, day),
  CHECK ((opens IS NULL) = (closes IS NULL))
);

CREATE TABLE counter_window (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hall_id integer NOT NULL REFERENCES hall (id) ON DELETE CASCADE,
  number integer NOT NULL CHECK (number BETWEEN 1 AND 999),
  kind text NOT NULL CHECK (kind IN ('general', 'vip', 'pre_processing', 'interactive')),
  UNIQUE (hall_id, number)
);

CREATE TABLE window_business_type (
  window_id integer NOT NULL REFERENCES counter_window (id) ON DELETE CASCADE,
  business_code text NOT NULL REFERENCES business_type (code),
  PRIMARY KEY (window_id, business_code)
);

CREATE TABLE clerk (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  staff_no text NOT NULL UNIQUE CHECK (staff_no ~ '^[A-Za-z0-9_.-]{1,32}$'),
  name text NOT NULL CHECK (name <> ''),
  hall_id integer NOT NULL REFERENCES hall (id),
  status text NOT NULL CHECK (status IN ('active', 'inactive'))
);
CREATE INDEX clerk_hall_idx ON clerk (hall_id);

CREATE TABLE terminal (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
  hall_id integer NOT NULL REFERENCES hall (id),
  type text NOT NULL CHECK (type IN ('payment', 'business', 'query', 'internet')),
  placement text NOT NULL CHECK (placement IN ('lobby', 'through_wall', 'zone_24h')),
  vendor text NOT NULL DEFAULT '',
  model text NOT NULL DEFAULT '',
  status text NOT NULL CHECK (status IN ('active', 'retired'))
);
CREATE INDEX terminal_hall_idx ON terminal (hall_id);

CREATE TABLE terminal_component (
  terminal_id integer NOT NULL REFERENCES terminal (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('card_reader', 'id_card_reader', 'receipt_printer', 'invoice_printer',
                                     'cash_acceptor', 'change_dispenser', 'pin_pad', 'touch_screen', 'camera')),
  PRIMARY KEY (terminal_id, kind)
);

-- Generic hall equipment: information screens, LED boards, DVRs, access control, sensors.
CREATE TABLE hall_device (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,32}$'),
  hall_id integer NOT NULL REFERENCES hall (id),
  kind text NOT NULL CHECK (kind IN ('info_screen', 'led_board', 'dvr', 'access_control', 'sensor')),
  name text NOT NULL DEFAULT '',
  vendor text NOT NULL DEFAULT '',
  model text NOT NULL DEFAULT ''
);
CREATE INDEX hall_device_hall_idx ON hall_device (hall_id);
