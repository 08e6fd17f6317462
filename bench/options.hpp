// The benchmarks' shared helpers: "--name value" options after the mode, and percentiles.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace halld::bench {

inline std::string option(int argc, char** argv, const std::string& name,
                          const std::string& fallback) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

// The p-quantile (0..1) by the nearest rank below; 0 for no values.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

}  // namespace halld::bench
