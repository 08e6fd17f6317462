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
};

nlohmann::json generate_demo_province(const DemoOptions& options);

}  // namespace halld::tools
