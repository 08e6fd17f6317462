// demo_province [--seed N] [--halls N] [--live-halls N --sim-port-base P [--vendor-protocol NAME]
// [--facility]]:
// prints the demo province as an import file on stdout.
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string_view>

#include "generator.hpp"

int main(int argc, char** argv) {
  halld::tools::DemoOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto number = [&](auto& out) {
      if (i + 1 >= argc) return false;
      std::string_view text = argv[++i];
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
      return ec == std::errc() && end == text.data() + text.size();
    };
    bool ok =
        (arg == "--seed" && number(options.seed)) ||
        (arg == "--halls" && number(options.halls) && options.halls > 0 &&
         options.halls <= 100000) ||
        (arg == "--live-halls" && number(options.live_halls) && options.live_halls >= 0) ||
        (arg == "--sim-port-base" && number(options.sim_port_base) && options.sim_port_base > 0) ||
        (arg == "--vendor-protocol" && i + 1 < argc &&
         (options.vendor_protocol = argv[++i], true)) ||
        (arg == "--facility" && (options.facility = true));
    if (!ok) {
      std::fprintf(stderr,
                   "usage: demo_province [--seed N] [--halls 1..100000] [--live-halls N "
                   "--sim-port-base P [--vendor-protocol NAME] [--facility]]\n");
      return 2;
    }
  }
  std::cout << halld::tools::generate_demo_province(options).dump(1) << '\n';
  return 0;
}
