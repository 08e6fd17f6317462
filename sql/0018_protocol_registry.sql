-- The protocol registry (docs/protocols/adapters.md): every protocol description halld may run,
-- whether it came from the directory of description files (origin 'file', written again from the
-- file at each start and SIGHUP) or from an administrator through the API (origin 'api'). A
-- description is retired, never deleted: the channels and events it carried stay explained.
CREATE TABLE protocol_description (
  name text PRIMARY KEY CHECK (name ~ '^[a-z0-9_]{1,40}$' AND name NOT IN ('queue_eval', 'terminal')),
  family text NOT NULL CHECK (family IN ('queue_eval', 'terminal')),
  version integer NOT NULL CHECK (version BETWEEN 1 AND 1000000),
  title text NOT NULL DEFAULT '',
  checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),  -- SHA-256 of the text
  text text NOT NULL CHECK (octet_length(text) <= 262144),
  origin text NOT NULL CHECK (origin IN ('file', 'api')),
  changed_at timestamptz NOT NULL DEFAULT now(),
  changed_by text NOT NULL,
  retired_at timestamptz
);

-- A channel speaks halld's own protocol of its family (`protocol`), or the described protocol it
-- names here, whose family `protocol` then repeats.
ALTER TABLE acquisition_channel
  ADD COLUMN described_protocol text REFERENCES protocol_description (name);
