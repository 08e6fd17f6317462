// The demo province: a deterministic, realistic Henan province in halld's import format
// (docs/archives.md). The same seed and hall count always give byte-identical output, on any
// machine: randomness comes from SplitMix64 and our own mappings, never from <random>'s
// distributions (whose results differ between standard libraries).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace halld::tools {

struct DemoOptions {
  std::uint64_t seed = 20260101;
  int halls = 200;
  // The first `live_halls` halls (the cities' flagship halls) get a queue-evaluation channel to
  // a simulator on 127.0.0.1:(sim_port_base + i), and their terminals one terminal-management
  // server channel ("tm-live", site TM-41) on sim_port_base + live_halls; scripts/demo starts
  // those simulators.
  int live_halls = 0;
  std::uint16_t sim_port_base = 0;
  // With live halls, the next hall too, through a vendor's queue system speaking the described
  // protocol `vendor_protocol` (config/protocols) on sim_port_base + live_halls + 2.
  std::string vendor_protocol{};
  // With live halls, the first one's facility devices (a temperature and humidity sensor, a power
  // meter, an air conditioner, lighting, a people counter: units 1–5 of tools/modbus_sim, models
  // config/protocols/facility_*.yaml) over Modbus TCP on sim_port_base + live_halls + 3.
  bool facility = false;
};

nlohmann::json generate_demo_province(const DemoOptions& options);

}  // namespace halld::tools
