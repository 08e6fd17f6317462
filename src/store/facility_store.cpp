#include "halld/store/facility_store.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "halld/records/event_json.hpp"
#include "halld/store/sql_text.hpp"

namespace halld::store {
namespace {

std::string month_of(std::chrono::system_clock::time_point at) {
  return records::iso8601(std::chrono::floor<std::chrono::seconds>(at)).substr(0, 7);
}

}  // namespace

void store_facility_readings(pqxx::connection& connection,
                             std::span<const StoredReading> readings) {
  if (readings.empty()) return;
  pqxx::work tx(connection);
  std::set<std::string> months;
  for (const auto& r : readings) {
    if (months.insert(month_of(r.reading.at)).second)
      tx.exec_params("SELECT halld_month_partition('facility_reading', $1::timestamptz)",
                     records::iso8601_micros(r.reading.at));
  }
  pqxx::stream_to stream(
      tx, "facility_reading",
      std::vector<std::string>{"hall_id", "device", "point", "read_at", "value"});
  for (const auto& r : readings) {
    stream << std::make_tuple(r.hall_id, r.reading.device, r.reading.point,
                              records::iso8601_micros(r.reading.at), r.reading.value);
  }
  stream.complete();
  tx.commit();
}

nlohmann::json facility_history(pqxx::transaction_base& tx, int hall_id, const std::string& device,
                                const std::string& point,
                                std::chrono::system_clock::time_point from,
                                std::chrono::system_clock::time_point to, int bucket_s) {
  const auto bucket = fmt::format("to_timestamp(floor(extract(epoch FROM read_at) / $5) * $5)");
  auto items = nlohmann::json::array();
  for (const auto& row : tx.exec_params(
           fmt::format("SELECT {}, avg(value), min(value), max(value) FROM facility_reading "
                       "WHERE hall_id = $1 AND device = $2 AND point = $3 AND read_at >= $4 "
                       "AND read_at < $6 GROUP BY 1 ORDER BY 1",
                       iso_utc(bucket)),
           hall_id, device, point, records::iso8601_micros(from), bucket_s,
           records::iso8601_micros(to))) {
    items.push_back({{"at", row[0].as<std::string>()},
                     {"avg", row[1].as<double>()},
                     {"min", row[2].as<double>()},
                     {"max", row[3].as<double>()}});
  }
  return items;
}

}  // namespace halld::store
