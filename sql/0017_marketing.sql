-- The marketing system (营销系统, seed 000 §3.3.1): what halld reads from its WebService —
-- customers with their class, business applications linked to the queue tickets they were
-- handled under, the halls' and clerks' archive as that system keeps it — and where each feed
-- stands. One writer: marketing::Sync (and the API's approval of archive changes).

-- Where each feed stands: records come in (changed_at, key) order; the next page starts after
-- this pair. Advanced in the same transaction as the page's rows, so a page is taken exactly once.
CREATE TABLE marketing_feed (
  entity text PRIMARY KEY CHECK (entity IN ('business_types', 'halls', 'clerks', 'customers', 'applications')),
  changed_at timestamptz,
  last_key text NOT NULL DEFAULT '',
  records bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  synced_at timestamptz
);

-- The marketing system's view of the archive (halls, clerks, business types), as last read; the
-- reconciliation compares it with halld's own.
CREATE TABLE marketing_hall (
  code text PRIMARY KEY,
  name text NOT NULL,
  city_code text NOT NULL,
  county text NOT NULL DEFAULT '',
  address text NOT NULL DEFAULT '',
  status text NOT NULL CHECK (status IN ('open', 'suspended', 'closed', 'retired')),
  changed_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL
);
CREATE TABLE marketing_clerk (
  staff_no text PRIMARY KEY,
  name text NOT NULL,
  hall_code text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'inactive', 'retired')),
  changed_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL
);
CREATE TABLE marketing_business_type (
  code text PRIMARY KEY,
  name text NOT NULL,
  channel text NOT NULL,
  changed_at timestamptz NOT NULL
);

-- Customers with the criteria of their class and the class the rules gave them.
CREATE TABLE marketing_customer (
  customer_no text PRIMARY KEY,
  name text NOT NULL,
  dedicated_transformer boolean NOT NULL,
  contract_kva double precision NOT NULL,
  annual_kwh double precision NOT NULL,
  category text NOT NULL CHECK (category IN ('resident', 'small_business', 'enterprise', 'unregistered')),
  class_code text NOT NULL CHECK (class_code IN ('premium', 'general', 'potential')),
  changed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL
);

-- Business applications (业务申请). A counter or self-service application of a hall is linked to
-- the queue ticket it was handled under (same hall, same clerk, overlapping time): its true
-- handling time is that ticket's service, shared among the applications of one visit.
CREATE TABLE business_application (
  application_no text PRIMARY KEY,
  business_code text NOT NULL,
  customer_no text NOT NULL,
  city_code text NOT NULL,
  hall_code text NOT NULL DEFAULT '',
  hall_id integer REFERENCES hall (id),
  staff_no text NOT NULL DEFAULT '',
  accepted_at timestamptz NOT NULL,
  finished_at timestamptz,
  status text NOT NULL CHECK (status IN ('accepted', 'in_progress', 'finished', 'cancelled')),
  channel text NOT NULL CHECK (channel IN ('counter', 'self_service', 'online', 'mobile')),
  changed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  -- 'waiting': not judged yet (not finished, or its hall's events may still come);
  -- 'linked': ticket set; 'unmatched': no ticket fits; 'not_counter': online, mobile, self-service.
  link_state text NOT NULL DEFAULT 'waiting' CHECK (link_state IN ('waiting', 'linked', 'unmatched', 'not_counter')),
  ticket text,
  ticket_started_at timestamptz,
  ticket_finished_at timestamptz,
  handling_s double precision,  -- its share of the ticket's service
  linked_at timestamptz
);
CREATE INDEX business_application_waiting_idx ON business_application (hall_id, accepted_at)
  WHERE link_state = 'waiting';
CREATE INDEX business_application_accepted_idx ON business_application (accepted_at);
CREATE INDEX business_application_hall_idx ON business_application (hall_id, accepted_at);

-- Records of a page the codec refused (a missing field, a bad time): kept with why, for the
-- operator and the marketing system's people to put right; the feed goes on past them.
CREATE TABLE marketing_rejected (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entity text NOT NULL,
  record_key text NOT NULL,
  reason text NOT NULL,
  received_at timestamptz NOT NULL
);

-- The reconciliation of halld's archive with the marketing system's: every difference found, what
-- was done with it. New and changed halls and clerks are applied at once; a retirement (gone
-- from the marketing system, or marked retired there) waits for an operator's approval, and
-- even then nothing an event refers to is deleted: it is closed (a hall) or made inactive (a clerk).
CREATE TABLE marketing_archive_change (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('hall', 'clerk')),
  code text NOT NULL,
  city_code text NOT NULL,  -- for scoping: the hall's city, or the clerk's hall's
  hall_code text NOT NULL,
  change text NOT NULL CHECK (change IN ('new', 'changed', 'retired')),
  before jsonb,
  after jsonb,
  state text NOT NULL CHECK (state IN ('applied', 'pending', 'deleted', 'deactivated', 'rejected', 'refused')),
  detail text NOT NULL DEFAULT '',
  found_at timestamptz NOT NULL,
  decided_at timestamptz,
  decided_by text
);
-- One open retirement per record.
CREATE UNIQUE INDEX marketing_archive_change_pending_idx ON marketing_archive_change (kind, code)
  WHERE state = 'pending';

-- The WebService's comm status over time (up, down), like a channel's channel_comm_event.
CREATE TABLE marketing_comm_event (
  at timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('up', 'down')),
  detail text NOT NULL DEFAULT ''
);
CREATE INDEX marketing_comm_event_at_idx ON marketing_comm_event (at);
