// Every protocol description in the repository (config/protocols)
// reading hostile bytes: the first byte picks the description, the second what is read — an
// uplink stream as halld reads it, a downlink stream as a device reads it, or the rest as a
// description itself. Whatever is refused is skipped by at least one byte; every event read
// and written again reads back as the same event.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include "halld/proto/described/interpreter.hpp"

namespace {

using namespace halld::proto::described;

std::vector<Interpreter> load_all() {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {HALLD_SOURCE_DIR "/config/protocols"}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Interpreter> out;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    out.emplace_back(std::make_shared<const Description>(load_description(text.str())));
  }
  return out;
}

void read_uplink(const Interpreter& interpreter, std::span<const std::uint8_t> rest) {
  const auto now = halld::records::Timestamp(std::chrono::seconds(1795425300));
  while (!rest.empty()) {
    auto reading = interpreter.read_uplink(rest, now);
    if (std::holds_alternative<NeedMore>(reading)) break;
    if (auto* skip = std::get_if<Skip>(&reading)) {
      if (skip->size == 0 || skip->size > rest.size()) __builtin_trap();
      rest = rest.subspan(skip->size);
      continue;
    }
    const auto& received = std::get<Received>(reading);
    if (received.size == 0 || received.size > rest.size()) __builtin_trap();
    if (const auto* event = std::get_if<halld::records::Event>(&received.uplink)) {
      std::vector<std::uint8_t> again;
      try {
        again = interpreter.event(received.source, received.sequence, *event);
      } catch (const std::invalid_argument&) {
        again.clear();  // a value read that this protocol cannot write back (e.g. a wider number)
      }
      if (!again.empty()) {
        auto back = interpreter.read_uplink(again, now);
        const auto* r = std::get_if<Received>(&back);
        if (!r || r->size != again.size() ||
            !(std::get<halld::records::Event>(r->uplink) == *event))
          __builtin_trap();
      }
    }
    rest = rest.subspan(received.size);
  }
}

void read_downlink(const Interpreter& interpreter, std::span<const std::uint8_t> rest) {
  while (!rest.empty()) {
    auto reading = interpreter.read_downlink(rest);
    if (std::holds_alternative<NeedMore>(reading)) break;
    const auto size = std::holds_alternative<Skip>(reading) ? std::get<Skip>(reading).size
                                                            : std::get<DownlinkFrame>(reading).size;
    if (size == 0 || size > rest.size()) __builtin_trap();
    rest = rest.subspan(size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto interpreters = load_all();
  if (size < 2 || interpreters.empty()) return 0;
  const auto& interpreter = interpreters[data[0] % interpreters.size()];
  const std::span<const std::uint8_t> rest(data + 2, size - 2);
  switch (data[1] % 3) {
    case 0:
      read_uplink(interpreter, rest);
      break;
    case 1:
      read_downlink(interpreter, rest);
      break;
    default:
      try {
        (void)load_description(
            std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()));
      } catch (const DescriptionError&) {
      }
  }
  return 0;
}
