// Every protocol description in the repository (config/protocols)
// reading hostile bytes: the first byte picks the description, the second what is read — an
// uplink stream as halld reads it, a downlink stream as a device reads it, the rest as a
// description (or a Modbus device model) itself, or as the registers and bits of an answer to
// each of a repository device model's polls, and a value written to each of its points. Whatever is
// refused is skipped by at least one byte; every event read and written again reads back as the
// same event.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include "halld/proto/described/interpreter.hpp"
#include "halld/proto/modbus/device_model.hpp"

namespace {

using namespace halld::proto::described;

struct Loaded {
  std::vector<Interpreter> interpreters;
  std::vector<halld::proto::modbus::DeviceModel> models;
};

Loaded load_all() {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {HALLD_SOURCE_DIR "/config/protocols"}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
      if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  Loaded out;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (halld::proto::modbus::is_device_model(text.str()))
      out.models.push_back(halld::proto::modbus::load_device_model(text.str()));
    else
      out.interpreters.emplace_back(
          std::make_shared<const Description>(load_description(text.str())));
  }
  return out;
}

// Every poll of the model answered with registers and bits from `rest`, and each writable point
// written with a value from it: no reading outside the answer, no write past the bounds.
void read_model(const halld::proto::modbus::DeviceModel& model,
                std::span<const std::uint8_t> rest) {
  using namespace halld::proto::modbus;
  Answer answer;
  for (std::size_t i = 0; i + 1 < rest.size(); i += 2)
    answer.registers.push_back(static_cast<std::uint16_t>(rest[i] << 8 | rest[i + 1]));
  for (auto byte : rest) answer.bits.push_back(byte & 1);
  for (const auto& block : model.blocks) {
    for (const auto& reading : block_readings(model, block, answer)) {
      if (reading.point >= model.points.size() || !std::isfinite(reading.value)) __builtin_trap();
    }
  }
  double value = 0;
  if (rest.size() >= sizeof value) std::memcpy(&value, rest.data(), sizeof value);
  for (const auto& point : model.points) {
    try {
      const auto request = write_request(point, 1, value);
      if (!point.writable || (point.min && value < *point.min) || (point.max && value > *point.max))
        __builtin_trap();
      (void)rtu_frame(request);
    } catch (const std::invalid_argument&) {
    }
  }
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
  static const auto loaded = load_all();
  const auto& interpreters = loaded.interpreters;
  if (size < 2 || interpreters.empty()) return 0;
  const auto& interpreter = interpreters[data[0] % interpreters.size()];
  const std::span<const std::uint8_t> rest(data + 2, size - 2);
  switch (data[1] % 4) {
    case 0:
      read_uplink(interpreter, rest);
      break;
    case 1:
      read_downlink(interpreter, rest);
      break;
    case 2: {
      const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
      try {
        if (halld::proto::modbus::is_device_model(text))
          read_model(halld::proto::modbus::load_device_model(text), {});
        else
          (void)load_description(text);
      } catch (const DescriptionError&) {
      }
      break;
    }
    default:
      if (!loaded.models.empty()) read_model(loaded.models[data[0] % loaded.models.size()], rest);
  }
  return 0;
}
