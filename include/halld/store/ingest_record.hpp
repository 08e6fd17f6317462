// store/ingest_record: one event on its way into the event log, as ingest hands it over.
// A plain struct of its own so that code without a database (the spool codec, its fuzzer)
// can name it.
#pragma once

#include <chrono>

#include "halld/records/events.hpp"

namespace halld::store {

struct IngestRecord {
  int source_id = 0;
  std::uint32_t sequence = 0;
  int hall_id = 0;  // 0: not known yet (a terminal missing from the archives)
  records::Event event;
  std::chrono::system_clock::time_point received_at;
};

}  // namespace halld::store
