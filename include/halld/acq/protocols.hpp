// acq/protocols: the protocols channels speak, by name — halld's own (compiled) and those of the
// registry's descriptions — and the directory of description files that feeds the registry.
// Owns: reading that directory, writing it into the registry (store/protocol_store), the codecs
// made from the registry's descriptions. Must not touch: channels (app/acquisition decides which
// to restart when a protocol changes), what a description means (proto/described).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "halld/proto/described/description.hpp"
#include "halld/proto/frame/session.hpp"
#include "halld/proto/modbus/device_model.hpp"
#include "halld/store/protocol_store.hpp"

namespace halld::acq {

// A description file is refused above this size: the longest real one is a few kilobytes.
inline constexpr std::size_t max_description_bytes = 256 * 1024;

// A description read and checked (proto::described::load_description, or for `family: modbus`
// proto::modbus::load_device_model), as the registry keeps it.
// Throws proto::described::DescriptionError naming the line.
store::ProtocolEntry checked_entry(std::string text, std::string origin);

struct DirectoryReading {
  std::vector<store::ProtocolEntry> entries;  // origin "file"
  std::vector<std::string> problems;          // each names its file; those files are left out
};
// Every *.yaml, *.yml and *.json file directly in `directory`; a missing directory holds none.
DirectoryReading read_protocol_directory(const std::filesystem::path& directory);

// Writes the files' descriptions into the registry, and retires the file descriptions whose file
// is gone (unless a channel still speaks one: then it stays, and a problem says so). Returns the
// problems (descriptions an administrator added under the same name, files that cannot be read).
std::vector<std::string> sync_protocol_directory(pqxx::connection& connection,
                                                 const std::filesystem::path& directory);

// The codecs of one generation of the registry; replaced whole when the registry changes.
class Protocols {
 public:
  Protocols() = default;
  // From name → text (as an acquisition snapshot keeps them). Descriptions that no longer load (a
  // halld older than their text) are left out and named in `problems`.
  Protocols(const std::map<std::string, std::string>& texts, std::vector<std::string>& problems);

  // What `channel` speaks; nullptr when it names a description the registry does not hold.
  std::shared_ptr<const proto::SessionCodec> codec(
      const records::AcquisitionChannel& channel) const;
  // The description's checksum ("" for halld's own protocols; for a Modbus channel, its devices'
  // models'): a channel whose protocol's checksum changed is restarted.
  std::string checksum(const records::AcquisitionChannel& channel) const;
  // A Modbus device model of the registry; nullptr when it holds none of that name.
  std::shared_ptr<const proto::modbus::DeviceModel> model(std::string_view name) const;

 private:
  struct Loaded {
    std::shared_ptr<const proto::described::Description> description;
    std::shared_ptr<const proto::SessionCodec> codec;
  };
  void add(const std::string& text, std::vector<std::string>& problems);
  std::map<std::string, Loaded, std::less<>> described_;
  std::map<std::string, std::shared_ptr<const proto::modbus::DeviceModel>, std::less<>> models_;
};

}  // namespace halld::acq
