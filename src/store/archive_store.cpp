#include "halld/store/archive_store.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "halld/store/protocol_store.hpp"

namespace halld::store {
namespace {

using namespace halld::records;

// SQL that formats a day's hours the way import files write them ("08:30-12:00,13:30-17:30").
#define HALLD_HOURS_TEXT(t)                                                                   \
  "CASE WHEN " t                                                                              \
  ".opens IS NULL THEN 'closed' "                                                             \
  "WHEN " t ".lunch_starts IS NULL THEN to_char(" t ".opens, 'HH24:MI') || '-' || to_char(" t \
  ".closes, 'HH24:MI') "                                                                      \
  "ELSE to_char(" t ".opens, 'HH24:MI') || '-' || to_char(" t                                 \
  ".lunch_starts, 'HH24:MI') || ',' "                                                         \
  "|| to_char(" t ".lunch_ends, 'HH24:MI') || '-' || to_char(" t ".closes, 'HH24:MI') END"

nlohmann::json link_only_settings_json(const AcquisitionChannel& c);

// A channel's settings as stored in acquisition_channel.settings (its link's, and a Modbus
// channel's devices); the keys are the import file's (docs/archives.md), and only the importer's
// checked values get there.
nlohmann::json link_settings_json(const AcquisitionChannel& c) {
  auto settings = link_only_settings_json(c);
  if (c.protocol == ChannelProtocol::modbus) {
    auto& devices = settings["devices"] = nlohmann::json::array();
    for (const auto& d : c.facilities) {
      devices.push_back({{"id", d.id},
                         {"kind", to_string(d.kind)},
                         {"name", d.name},
                         {"model", d.model},
                         {"unit", d.unit},
                         {"poll_ms", d.poll_ms},
                         {"timeout_ms", d.timeout_ms},
                         {"retries", d.retries}});
    }
  }
  return settings;
}

void read_facilities(const nlohmann::json& devices, AcquisitionChannel& c) {
  for (const auto& d : devices) {
    c.facilities.push_back({d.at("id"), *parse_enum<FacilityKind>(d.at("kind").get<std::string>()),
                            d.at("name"), d.at("model"), d.at("unit"), d.at("poll_ms"),
                            d.at("timeout_ms"), d.at("retries")});
  }
}

nlohmann::json link_only_settings_json(const AcquisitionChannel& c) {
  switch (c.link) {
    case ChannelLink::tcp_client:
      return nlohmann::json::object();
    case ChannelLink::dtu:
      return {{"identity", c.dtu.identity},
              {"register", c.dtu.register_packet},
              {"heartbeat", c.dtu.heartbeat_packet},
              {"heartbeat_s", c.dtu.heartbeat_s},
              {"offline_after", c.dtu.offline_after}};
    case ChannelLink::serial:
    case ChannelLink::rs485: {
      nlohmann::json j = {{"device", c.serial.device},       {"baud", c.serial.baud},
                          {"data_bits", c.serial.data_bits}, {"parity", to_string(c.serial.parity)},
                          {"stop_bits", c.serial.stop_bits}, {"flow", to_string(c.serial.flow)}};
      if (c.link == ChannelLink::rs485) {
        j.update({{"addresses", c.bus.addresses},
                  {"poll_ms", c.bus.poll_ms},
                  {"timeout_ms", c.bus.timeout_ms},
                  {"retries", c.bus.retries},
                  {"gap_ms", c.bus.gap_ms}});
      }
      return j;
    }
  }
  return nlohmann::json::object();
}

void read_link_settings(const nlohmann::json& j, AcquisitionChannel& c) {
  if (c.protocol == ChannelProtocol::modbus && j.contains("devices"))
    read_facilities(j.at("devices"), c);
  if (c.link == ChannelLink::dtu) {
    c.dtu = {j.at("identity"), j.at("register"), j.at("heartbeat"), j.at("heartbeat_s"),
             j.at("offline_after")};
  } else if (c.link == ChannelLink::serial || c.link == ChannelLink::rs485) {
    c.serial = {j.at("device"),    j.at("baud"),
                j.at("data_bits"), *parse_enum<Parity>(j.at("parity").get<std::string>()),
                j.at("stop_bits"), *parse_enum<FlowControl>(j.at("flow").get<std::string>())};
    if (c.link == ChannelLink::rs485) {
      c.bus = {j.at("addresses"), j.at("poll_ms"), j.at("timeout_ms"), j.at("retries"),
               j.at("gap_ms")};
    }
  }
}

const std::vector<Statement> statements = {
    {"known_cities", "SELECT code FROM city_company"},
    {"known_business_types", "SELECT code FROM business_type"},
    {"known_halls", "SELECT code FROM hall"},
    {"known_described_protocols",
     "SELECT name, family FROM protocol_description WHERE retired_at IS NULL"},
    {"upsert_channel",
     "INSERT INTO acquisition_channel (code, hall_id, protocol, link, host, port, site, enabled, "
     "tap, settings, described_protocol) "
     "VALUES ($1, (SELECT id FROM hall WHERE code = NULLIF($2, '')), $3, $4, $5, $6, $7, $8, $9, "
     "$10::jsonb, NULLIF($11, '')) "
     "ON CONFLICT (code) DO UPDATE SET hall_id = EXCLUDED.hall_id, protocol = EXCLUDED.protocol, "
     "described_protocol = EXCLUDED.described_protocol, link = EXCLUDED.link, host = "
     "EXCLUDED.host, port = EXCLUDED.port, site = EXCLUDED.site, "
     "enabled = EXCLUDED.enabled, tap = EXCLUDED.tap, settings = EXCLUDED.settings"},
    {"attribute_orphan_events",
     "UPDATE hall_event e SET hall_id = t.hall_id FROM terminal t WHERE e.hall_id IS NULL AND "
     "e.terminal = t.code"},
    {"terminal_halls", "SELECT code, hall_id FROM terminal WHERE status = 'active'"},
    {"known_sources", "SELECT channel, address, id FROM acquisition_source"},
    {"record_comm_event",
     "INSERT INTO channel_comm_event (channel_id, at, state, detail) VALUES ($1, $2::timestamptz, "
     "$3, $4)"},
    {"enabled_channels",
     "SELECT c.code, c.hall_id, coalesce(h.code, ''), c.protocol, c.link, c.host, coalesce(c.port, "
     "0), c.site, c.id, "
     "c.tap, c.settings, coalesce(c.described_protocol, '') "
     "FROM acquisition_channel c LEFT JOIN hall h ON h.id = c.hall_id WHERE c.enabled ORDER BY "
     "c.code"},
    {"upsert_province",
     "INSERT INTO province (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = "
     "EXCLUDED.name"},
    {"upsert_city",
     "INSERT INTO city_company (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name "
     "= EXCLUDED.name"},
    {"upsert_business_type",
     "INSERT INTO business_type (code, name, name_en, channel, target_handling_min) VALUES ($1, "
     "$2, $3, $4, $5) "
     "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, "
     "channel = EXCLUDED.channel, target_handling_min = EXCLUDED.target_handling_min"},
    {"upsert_customer_class",
     "INSERT INTO customer_class (code, name, name_en, weight) VALUES ($1, $2, $3, $4) "
     "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, weight = "
     "EXCLUDED.weight"},
    {"upsert_hall",
     "INSERT INTO hall (code, name, city_id, county, address, latitude, longitude, level, "
     "target_wait_min, status, "
     "timezone) VALUES ($1, $2, (SELECT id FROM city_company WHERE code = $3), $4, $5, $6, $7, $8, "
     "$9, $10, $11) "
     "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, city_id = EXCLUDED.city_id, county = "
     "EXCLUDED.county, "
     "address = EXCLUDED.address, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, "
     "level = EXCLUDED.level, target_wait_min = EXCLUDED.target_wait_min, status = "
     "EXCLUDED.status, "
     "timezone = EXCLUDED.timezone RETURNING id"},
    {"clear_hall_hours", "DELETE FROM hall_opening_hours WHERE hall_id = $1"},
    {"insert_hall_hours",
     "INSERT INTO hall_opening_hours (hall_id, weekday, opens, closes, lunch_starts, lunch_ends) "
     "VALUES ($1, $2, $3::time, $4::time, NULLIF($5, '')::time, NULLIF($6, '')::time)"},
    {"clear_hall_exceptions", "DELETE FROM hall_calendar_exception WHERE hall_id = $1"},
    {"insert_hall_exception",
     "INSERT INTO hall_calendar_exception (hall_id, day, opens, closes, lunch_starts, lunch_ends, "
     "note) "
     "VALUES ($1, $2::date, NULLIF($3, '')::time, NULLIF($4, '')::time, NULLIF($5, '')::time, "
     "NULLIF($6, '')::time, $7)"},
    {"upsert_window",
     "INSERT INTO counter_window (hall_id, number, kind) VALUES ($1, $2, $3) "
     "ON CONFLICT (hall_id, number) DO UPDATE SET kind = EXCLUDED.kind RETURNING id"},
    {"clear_window_business_types", "DELETE FROM window_business_type WHERE window_id = $1"},
    {"insert_window_business_types",
     "INSERT INTO window_business_type (window_id, business_code) SELECT $1, unnest($2::text[])"},
    {"upsert_clerk",
     "INSERT INTO clerk (staff_no, name, hall_id, status) VALUES ($1, $2, $3, $4) ON CONFLICT "
     "(staff_no) "
     "DO UPDATE SET name = EXCLUDED.name, hall_id = EXCLUDED.hall_id, status = EXCLUDED.status"},
    {"upsert_terminal",
     "INSERT INTO terminal (code, hall_id, type, placement, vendor, model, status) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET hall_id = "
     "EXCLUDED.hall_id, "
     "type = EXCLUDED.type, placement = EXCLUDED.placement, vendor = EXCLUDED.vendor, model = "
     "EXCLUDED.model, "
     "status = EXCLUDED.status RETURNING id"},
    {"clear_terminal_components", "DELETE FROM terminal_component WHERE terminal_id = $1"},
    {"insert_terminal_components",
     "INSERT INTO terminal_component (terminal_id, kind) SELECT $1, unnest($2::text[])"},
    {"upsert_device",
     "INSERT INTO hall_device (code, hall_id, kind, name, vendor, model) VALUES ($1, $2, $3, $4, "
     "$5, $6) "
     "ON CONFLICT (code) DO UPDATE SET hall_id = EXCLUDED.hall_id, kind = EXCLUDED.kind, name = "
     "EXCLUDED.name, "
     "vendor = EXCLUDED.vendor, model = EXCLUDED.model"},

    {"cities_json",
     "SELECT json_build_object('total', count(*), 'items', coalesce(json_agg(json_build_object("
     "'code', c.code, 'name', c.name, 'halls', (SELECT count(*) FROM hall h WHERE h.city_id = "
     "c.id)) "
     "ORDER BY c.code), '[]'::json))::text FROM city_company c"},
    {"halls_json",
     "WITH matching AS ("
     " SELECT h.*, c.code AS city_code, c.name AS city_name FROM hall h JOIN city_company c ON "
     "c.id = h.city_id"
     " WHERE ($1 = '' OR c.code = $1) AND ($2 = '' OR h.status = $2)"
     "   AND ($3 = '' OR strpos(h.name, $3) > 0 OR strpos(h.code, $3) > 0 OR strpos(h.county, $3) "
     "> 0)"
     "   AND ($6 = '' OR h.code = $6)) "
     "SELECT json_build_object('total', (SELECT count(*) FROM matching), 'limit', $4::int, "
     "'offset', $5::int, "
     " 'items', coalesce((SELECT json_agg(page.item ORDER BY page.code) FROM ("
     "  SELECT m.code, json_build_object('code', m.code, 'name', m.name, "
     "   'city', json_build_object('code', m.city_code, 'name', m.city_name), 'county', m.county, "
     "   'level', m.level, 'status', m.status, 'latitude', m.latitude, 'longitude', m.longitude, "
     "   'target_wait_min', m.target_wait_min, "
     "   'windows', (SELECT count(*) FROM counter_window w WHERE w.hall_id = m.id), "
     "   'terminals', (SELECT count(*) FROM terminal t WHERE t.hall_id = m.id AND t.status = "
     "'active')) AS item "
     "  FROM matching m ORDER BY m.code LIMIT $4 OFFSET $5) page), '[]'::json))::text"},
    {"hall_json",
     "SELECT json_build_object('code', h.code, 'name', h.name, "
     " 'city', json_build_object('code', c.code, 'name', c.name), 'county', h.county, 'address', "
     "h.address, "
     " 'latitude', h.latitude, 'longitude', h.longitude, 'level', h.level, 'status', h.status, "
     " 'target_wait_min', h.target_wait_min, 'timezone', h.timezone, "
     " 'opening_hours', (SELECT "
     "json_object_agg((ARRAY['mon','tue','wed','thu','fri','sat','sun'])[d.n], "
     "    " HALLD_HOURS_TEXT(
         "o") " ORDER BY d.n) "
              "    FROM generate_series(1, 7) AS d(n) "
              "    LEFT JOIN hall_opening_hours o ON o.hall_id = h.id AND o.weekday = d.n), "
              " 'exceptions', (SELECT coalesce(json_agg(json_build_object('date', e.day, "
              "'hours', " HALLD_HOURS_TEXT(
                  "e") ", "
                       "    'note', e.note) ORDER BY e.day), '[]'::json) FROM "
                       "hall_calendar_exception e WHERE e.hall_id = h.id), "
                       " 'windows', (SELECT coalesce(json_agg(json_build_object('number', "
                       "w.number, 'kind', w.kind, "
                       "    'business_types', (SELECT coalesce(json_agg(b.business_code ORDER BY "
                       "b.business_code), '[]'::json) "
                       "      FROM window_business_type b WHERE b.window_id = w.id)) ORDER BY "
                       "w.number), '[]'::json) "
                       "    FROM counter_window w WHERE w.hall_id = h.id), "
                       " 'clerks', (SELECT coalesce(json_agg(json_build_object('staff_no', "
                       "k.staff_no, 'name', k.name, "
                       "    'status', k.status) ORDER BY k.staff_no), '[]'::json) FROM clerk k "
                       "WHERE k.hall_id = h.id), "
                       " 'terminals', (SELECT coalesce(json_agg(json_build_object('id', t.code, "
                       "'type', t.type, "
                       "    'placement', t.placement, 'vendor', t.vendor, 'model', t.model, "
                       "'status', t.status, "
                       "    'components', (SELECT coalesce(json_agg(p.kind ORDER BY p.kind), "
                       "'[]'::json) "
                       "      FROM terminal_component p WHERE p.terminal_id = t.id)) ORDER BY "
                       "t.code), '[]'::json) "
                       "    FROM terminal t WHERE t.hall_id = h.id), "
                       " 'devices', (SELECT coalesce(json_agg(json_build_object('id', v.code, "
                       "'kind', v.kind, 'name', v.name, "
                       "    'vendor', v.vendor, 'model', v.model) ORDER BY v.code), '[]'::json) "
                       "    FROM hall_device v WHERE v.hall_id = h.id))::text "
                       "FROM hall h JOIN city_company c ON c.id = h.city_id WHERE h.code = $1"},
    {"business_types_json",
     "SELECT json_build_object('total', count(*), 'items', coalesce(json_agg(json_build_object("
     "'code', code, 'name', name, 'name_en', name_en, 'channel', channel, "
     "'target_handling_min', target_handling_min) ORDER BY code), '[]'::json))::text FROM "
     "business_type"},
    {"customer_classes_json",
     "SELECT json_build_object('total', count(*), 'items', coalesce(json_agg(json_build_object("
     "'code', code, 'name', name, 'name_en', name_en, 'weight', weight) ORDER BY weight DESC), "
     "'[]'::json))::text "
     "FROM customer_class"},
};
#undef HALLD_HOURS_TEXT

std::string clock(MinuteOfDay minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}
std::string clock(const std::optional<MinuteOfDay>& minute) {
  return minute ? clock(*minute) : "";
}

// A PostgreSQL array literal of codes. Safe without quoting only because archive/import admits
// nothing but [A-Za-z0-9_.-] in codes and enum names; one statement per window instead of one per
// code.
std::string array_literal(const std::vector<std::string>& codes) {
  return fmt::format("{{{}}}", fmt::join(codes, ","));
}

void apply_hall(pqxx::work& tx, const Hall& h, ImportCounts& counts) {
  int hall_id =
      tx.exec_prepared1("upsert_hall", h.code, h.name, h.city_code, h.county, h.address, h.latitude,
                        h.longitude, std::string(to_string(h.level)), h.target_wait_minutes,
                        std::string(to_string(h.status)), h.timezone)[0]
          .as<int>();
  tx.exec_prepared0("clear_hall_hours", hall_id);
  for (int day = 0; day < 7; ++day) {
    const auto& hours = h.week[day];
    if (!hours) continue;
    tx.exec_prepared0("insert_hall_hours", hall_id, day + 1, clock(hours->opens),
                      clock(hours->closes), clock(hours->lunch_starts), clock(hours->lunch_ends));
  }
  tx.exec_prepared0("clear_hall_exceptions", hall_id);
  for (const auto& e : h.exceptions) {
    std::string opens, closes, lunch_starts, lunch_ends;
    if (e.hours) {
      opens = clock(e.hours->opens);
      closes = clock(e.hours->closes);
      lunch_starts = clock(e.hours->lunch_starts);
      lunch_ends = clock(e.hours->lunch_ends);
    }
    tx.exec_prepared0("insert_hall_exception", hall_id, e.date, opens, closes, lunch_starts,
                      lunch_ends, e.note);
  }
  for (const auto& w : h.windows) {
    int window_id =
        tx.exec_prepared1("upsert_window", hall_id, w.number, std::string(to_string(w.kind)))[0]
            .as<int>();
    tx.exec_prepared0("clear_window_business_types", window_id);
    tx.exec_prepared0("insert_window_business_types", window_id, array_literal(w.business_types));
    ++counts.windows;
  }
  for (const auto& c : h.clerks) {
    tx.exec_prepared0("upsert_clerk", c.staff_no, c.name, hall_id,
                      std::string(to_string(c.status)));
    ++counts.clerks;
  }
  for (const auto& t : h.terminals) {
    int terminal_id =
        tx.exec_prepared1("upsert_terminal", t.id, hall_id, std::string(to_string(t.type)),
                          std::string(to_string(t.placement)), t.vendor, t.model,
                          std::string(to_string(t.status)))[0]
            .as<int>();
    tx.exec_prepared0("clear_terminal_components", terminal_id);
    std::vector<std::string> components;
    for (auto component : t.components) components.emplace_back(to_string(component));
    tx.exec_prepared0("insert_terminal_components", terminal_id, array_literal(components));
    ++counts.terminals;
  }
  for (const auto& d : h.devices) {
    tx.exec_prepared0("upsert_device", d.id, hall_id, std::string(to_string(d.kind)), d.name,
                      d.vendor, d.model);
    ++counts.devices;
  }
  ++counts.halls;
}

std::string single_text(pqxx::connection& connection, const char* statement) {
  store::ReadTransaction tx(connection);
  return tx.exec_prepared1(statement)[0].as<std::string>();
}

}  // namespace

std::vector<Statement> archive_statements() {
  return statements;
}

ImportOutcome import_archives(
    pqxx::connection& connection,
    const std::function<archive::ReadResult(const archive::KnownCodes&)>& read, ImportMode mode) {
  ImportOutcome outcome;
  pqxx::work tx(connection);
  // Imports are serialised so that the codes checked are the codes still there at commit.
  tx.exec("LOCK TABLE city_company, business_type IN SHARE ROW EXCLUSIVE MODE");
  archive::KnownCodes known;
  for (const auto& row : tx.exec_prepared("known_cities"))
    known.cities.insert(row[0].as<std::string>());
  for (const auto& row : tx.exec_prepared("known_business_types"))
    known.business_types.insert(row[0].as<std::string>());
  for (const auto& row : tx.exec_prepared("known_halls"))
    known.halls.insert(row[0].as<std::string>());
  for (const auto& row : tx.exec_prepared("known_described_protocols")) {
    known.described_protocols.emplace(row[0].as<std::string>(),
                                      *parse_enum<ChannelProtocol>(row[1].as<std::string>()));
  }
  outcome.read = read(known);
  if (!outcome.read.problems.empty()) return outcome;  // the transaction rolls back unapplied

  const auto& set = outcome.read.archives;
  if (set.province) tx.exec_prepared0("upsert_province", set.province->code, set.province->name);
  for (const auto& c : set.cities) tx.exec_prepared0("upsert_city", c.code, c.name);
  for (const auto& b : set.business_types) {
    tx.exec_prepared0("upsert_business_type", b.code, b.name, b.name_en,
                      std::string(to_string(b.channel)), b.target_handling_minutes);
  }
  for (const auto& c : set.customer_classes)
    tx.exec_prepared0("upsert_customer_class", c.code, c.name, c.name_en, c.weight);
  for (const auto& h : set.halls) apply_hall(tx, h, outcome.counts);
  for (const auto& c : set.channels) {
    tx.exec_prepared0("upsert_channel", c.code, c.hall_code, std::string(to_string(c.protocol)),
                      std::string(to_string(c.link)), c.host,
                      c.link == ChannelLink::tcp_client ? std::optional<int>(c.port) : std::nullopt,
                      c.site, c.enabled, c.tap, link_settings_json(c).dump(), c.described_protocol);
  }
  // Events that arrived for terminals missing from the archives now have their hall.
  if (!set.halls.empty()) tx.exec_prepared0("attribute_orphan_events");
  outcome.counts.channels = set.channels.size();
  outcome.counts.cities = set.cities.size();
  outcome.counts.business_types = set.business_types.size();
  outcome.counts.customer_classes = set.customer_classes.size();
  outcome.valid = true;
  if (mode == ImportMode::commit) {
    tx.commit();
    outcome.applied = true;
  }
  return outcome;
}

std::vector<ChannelRow> enabled_channels(pqxx::connection& connection) {
  store::ReadTransaction tx(connection);
  std::vector<ChannelRow> out;
  for (const auto& row : tx.exec_prepared("enabled_channels")) {
    ChannelRow c;
    c.channel.code = row[0].as<std::string>();
    c.hall_id = row[1].is_null() ? std::nullopt : std::optional<int>(row[1].as<int>());
    c.channel.hall_code = row[2].as<std::string>();
    c.channel.protocol = *parse_enum<ChannelProtocol>(row[3].as<std::string>());
    c.channel.link = *parse_enum<ChannelLink>(row[4].as<std::string>());
    c.channel.host = row[5].as<std::string>();
    c.channel.port = static_cast<std::uint16_t>(row[6].as<int>());
    c.channel.site = row[7].as<std::string>();
    c.channel_id = row[8].as<int>();
    c.channel.tap = row[9].as<bool>();
    read_link_settings(nlohmann::json::parse(row[10].as<std::string>()), c.channel);
    c.channel.described_protocol = row[11].as<std::string>();
    out.push_back(std::move(c));
  }
  return out;
}

std::string disable_channel(pqxx::transaction_base& tx, const std::string& code) {
  const auto found = tx.exec_params(
      "UPDATE acquisition_channel SET enabled = false WHERE code = $1 "
      "RETURNING json_build_object('code', code, 'enabled', enabled)::text",
      code);
  return found.empty() ? "" : found[0][0].as<std::string>();
}

AcquisitionSnapshot acquisition_snapshot(pqxx::connection& connection) {
  AcquisitionSnapshot snapshot;
  snapshot.channels = enabled_channels(connection);
  snapshot.terminal_halls = terminal_halls(connection);
  for (auto& protocol : active_protocols(connection)) {
    // The descriptions a channel speaks, and the models of a Modbus channel's devices.
    const auto spoken = [&](const ChannelRow& row) {
      return row.channel.described_protocol == protocol.name ||
             std::any_of(row.channel.facilities.begin(), row.channel.facilities.end(),
                         [&](const FacilityDevice& d) { return d.model == protocol.name; });
    };
    if (std::any_of(snapshot.channels.begin(), snapshot.channels.end(), spoken))
      snapshot.described_protocols.emplace(protocol.name, std::move(protocol.text));
  }
  store::ReadTransaction tx(connection);
  for (const auto& row : tx.exec_prepared("known_sources")) {
    snapshot
        .sources[row[0].as<std::string>()][static_cast<std::uint32_t>(row[1].as<std::int64_t>())] =
        row[2].as<int>();
  }
  return snapshot;
}

nlohmann::json to_json(const ChannelRow& row) {
  const auto& c = row.channel;
  return {{"code", c.code},
          {"id", row.channel_id},
          {"hall_id", row.hall_id ? nlohmann::json(*row.hall_id) : nullptr},
          {"hall", c.hall_code},
          {"protocol", to_string(c.protocol)},
          {"described_protocol", c.described_protocol},
          {"link", to_string(c.link)},
          {"host", c.host},
          {"port", c.port},
          {"site", c.site},
          {"tap", c.tap},
          {"settings", link_settings_json(c)}};
}

nlohmann::json to_json(const AcquisitionSnapshot& snapshot) {
  auto channels = nlohmann::json::array();
  for (const auto& row : snapshot.channels) channels.push_back(to_json(row));
  auto sources = nlohmann::json::object();
  for (const auto& [channel, addresses] : snapshot.sources) {
    for (const auto& [address, id] : addresses) sources[channel][std::to_string(address)] = id;
  }
  return {{"channels", channels},
          {"sources", sources},
          {"terminal_halls", snapshot.terminal_halls},
          {"described_protocols", snapshot.described_protocols}};
}

AcquisitionSnapshot snapshot_from_json(const nlohmann::json& document) {
  AcquisitionSnapshot snapshot;
  for (const auto& j : document.at("channels")) {
    ChannelRow row;
    auto& c = row.channel;
    c.code = j.at("code");
    row.channel_id = j.at("id");
    if (!j.at("hall_id").is_null()) row.hall_id = j.at("hall_id").get<int>();
    c.hall_code = j.at("hall");
    c.protocol = parse_enum<ChannelProtocol>(j.at("protocol").get<std::string>()).value();
    c.described_protocol = j.value("described_protocol", "");
    c.link = parse_enum<ChannelLink>(j.at("link").get<std::string>()).value();
    c.host = j.at("host");
    c.port = j.at("port");
    c.site = j.at("site");
    c.tap = j.at("tap");
    read_link_settings(j.at("settings"), c);
    snapshot.channels.push_back(std::move(row));
  }
  for (const auto& [channel, addresses] : document.at("sources").items()) {
    for (const auto& [address, id] : addresses.items()) {
      snapshot.sources[channel][static_cast<std::uint32_t>(std::stoul(address))] = id.get<int>();
    }
  }
  snapshot.terminal_halls =
      document.at("terminal_halls").get<std::unordered_map<std::string, int>>();
  if (document.contains("described_protocols")) {  // snapshots written before 0018 have none
    snapshot.described_protocols =
        document.at("described_protocols").get<std::map<std::string, std::string>>();
  }
  return snapshot;
}

void record_comm_event(pqxx::connection& connection, int channel_id, const std::string& at,
                       const std::string& state, const std::string& detail) {
  pqxx::work tx(connection);
  tx.exec_prepared0("record_comm_event", channel_id, at, state, detail);
  tx.commit();
}

std::unordered_map<std::string, int> terminal_halls(pqxx::connection& connection) {
  store::ReadTransaction tx(connection);
  std::unordered_map<std::string, int> out;
  for (const auto& row : tx.exec_prepared("terminal_halls"))
    out.emplace(row[0].as<std::string>(), row[1].as<int>());
  return out;
}

std::string list_cities_json(pqxx::connection& connection) {
  return single_text(connection, "cities_json");
}

std::string list_halls_json(pqxx::connection& connection, const HallFilter& filter) {
  store::ReadTransaction tx(connection);
  return tx
      .exec_prepared1("halls_json", filter.city, filter.status, filter.search, filter.limit,
                      filter.offset, filter.hall)[0]
      .as<std::string>();
}

std::string hall_json(pqxx::connection& connection, const std::string& code) {
  store::ReadTransaction tx(connection);
  auto result = tx.exec_prepared("hall_json", code);
  return result.empty() ? std::string() : result[0][0].as<std::string>();
}

std::string list_business_types_json(pqxx::connection& connection) {
  return single_text(connection, "business_types_json");
}

std::string list_customer_classes_json(pqxx::connection& connection) {
  return single_text(connection, "customer_classes_json");
}

std::map<std::string, std::string, std::less<>> hall_cities(pqxx::transaction_base& tx) {
  std::map<std::string, std::string, std::less<>> cities;
  for (const auto& row :
       tx.exec("SELECT h.code, c.code FROM hall h JOIN city_company c ON c.id = h.city_id")) {
    cities.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  }
  return cities;
}

}  // namespace halld::store
