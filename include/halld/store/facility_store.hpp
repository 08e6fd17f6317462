// store/facility_store: the facility readings' time series (facility_reading, partitioned by
// month). Owns: writing readings in batches and reading a point's history in buckets. Must not
// touch: how readings are taken (facility/poller).
#pragma once

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <span>

#include "halld/records/archive.hpp"

namespace halld::store {

struct StoredReading {
  int hall_id = 0;
  records::FacilityReading reading;
};
// Writes the readings in one transaction, making the months' partitions first.
void store_facility_readings(pqxx::connection& connection, std::span<const StoredReading> readings);

// A point's readings from `from` to `to` in buckets of `bucket_s` seconds (average, minimum,
// maximum per bucket, oldest first) as JSON items {at, avg, min, max}.
nlohmann::json facility_history(pqxx::transaction_base& tx, int hall_id, const std::string& device,
                                const std::string& point,
                                std::chrono::system_clock::time_point from,
                                std::chrono::system_clock::time_point to, int bucket_s);

}  // namespace halld::store
