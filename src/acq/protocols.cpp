#include "halld/acq/protocols.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "halld/acq/reconcile.hpp"
#include "halld/proto/commands.hpp"
#include "halld/proto/described/interpreter.hpp"
#include "halld/proto/modbus/device_model.hpp"

namespace halld::acq {

store::ProtocolEntry checked_entry(std::string text, std::string origin) {
  if (text.size() > max_description_bytes) {
    throw proto::described::DescriptionError(
        0, fmt::format("a description is at most {} bytes", max_description_bytes));
  }
  if (proto::modbus::is_device_model(text)) {
    const auto model = proto::modbus::load_device_model(text);
    return {model.name,       std::string(records::to_string(records::ChannelProtocol::modbus)),
            model.version,    model.title,
            model.checksum,   std::move(text),
            std::move(origin)};
  }
  const auto description = proto::described::load_description(text);
  return {description.name,     std::string(records::to_string(description.family)),
          description.version,  description.title,
          description.checksum, std::move(text),
          std::move(origin)};
}

DirectoryReading read_protocol_directory(const std::filesystem::path& directory) {
  DirectoryReading reading;
  std::error_code error;
  if (directory.empty() || !std::filesystem::is_directory(directory, error)) return reading;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() &&
        (extension == ".yaml" || extension == ".yml" || extension == ".json"))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::set<std::string> names;
  for (const auto& file : files) {
    try {
      if (std::filesystem::file_size(file) > max_description_bytes)
        throw std::runtime_error(fmt::format("larger than {} bytes", max_description_bytes));
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) throw std::runtime_error("cannot be read");
      auto entry = checked_entry(text.str(), "file");
      if (!names.insert(entry.name).second)
        throw std::runtime_error(fmt::format("another file describes '{}' too", entry.name));
      reading.entries.push_back(std::move(entry));
    } catch (const std::exception& e) {
      reading.problems.push_back(fmt::format("{}: {}", file.string(), e.what()));
    }
  }
  return reading;
}

std::vector<std::string> sync_protocol_directory(pqxx::connection& connection,
                                                 const std::filesystem::path& directory) {
  auto reading = read_protocol_directory(directory);
  auto problems = std::move(reading.problems);
  std::set<std::string> present;
  for (const auto& entry : reading.entries) {
    present.insert(entry.name);
    pqxx::work tx(connection);
    const auto outcome =
        store::save_protocol(tx, entry, fmt::format("file in {}", directory.string()));
    tx.commit();
    if (outcome == store::SaveOutcome::owned_by_api) {
      problems.push_back(fmt::format(
          "'{}': an administrator registered a description of this name; the file is ignored",
          entry.name));
    } else if (outcome == store::SaveOutcome::family_changed) {
      problems.push_back(fmt::format(
          "'{}': the file changes the family, but channels speak it; the file is ignored",
          entry.name));
    }
  }
  for (const auto& active : store::active_protocols(connection)) {
    if (active.origin != "file" || present.contains(active.name)) continue;
    pqxx::work tx(connection);
    const auto retirement = store::retire_protocol(tx, active.name, "file",
                                                   fmt::format("file in {}", directory.string()));
    tx.commit();
    if (retirement.outcome == store::RetireOutcome::in_use) {
      problems.push_back(fmt::format(
          "'{}': its file is gone, but channels {} speak it; kept until they speak another",
          active.name, fmt::join(retirement.channels, ", ")));
    }
  }
  return problems;
}

std::string channel_fingerprint(const store::ChannelRow& row, const Protocols& protocols) {
  return store::to_json(row).dump() + protocols.checksum(row.channel);
}

Protocols::Protocols(const std::map<std::string, std::string>& texts,
                     std::vector<std::string>& problems) {
  for (const auto& [name, text] : texts) add(text, problems);
}

void Protocols::add(const std::string& text, std::vector<std::string>& problems) {
  try {
    if (proto::modbus::is_device_model(text)) {
      auto model = std::make_shared<const proto::modbus::DeviceModel>(
          proto::modbus::load_device_model(text));
      const auto name = model->name;
      models_[name] = std::move(model);
      return;
    }
    auto description = std::make_shared<const proto::described::Description>(
        proto::described::load_description(text));
    auto codec = proto::described::session_codec(description);
    const auto name = description->name;
    described_[name] = {std::move(description), std::move(codec)};
  } catch (const proto::described::DescriptionError& e) {
    problems.push_back(e.what());
  }
}

std::shared_ptr<const proto::SessionCodec> Protocols::codec(
    const records::AcquisitionChannel& channel) const {
  if (channel.described_protocol.empty()) return proto::own_protocol_codec(channel.protocol);
  auto found = described_.find(channel.described_protocol);
  return found == described_.end() ? nullptr : found->second.codec;
}

std::string Protocols::checksum(const records::AcquisitionChannel& channel) const {
  if (channel.protocol == records::ChannelProtocol::modbus) {
    std::string checksums;  // of every model its devices have
    for (const auto& device : channel.facilities) {
      auto found = models_.find(device.model);
      checksums += found == models_.end() ? "-" : found->second->checksum;
    }
    return checksums;
  }
  auto found = described_.find(channel.described_protocol);
  return found == described_.end() ? "" : found->second.description->checksum;
}

std::shared_ptr<const proto::modbus::DeviceModel> Protocols::model(std::string_view name) const {
  auto found = models_.find(name);
  return found == models_.end() ? nullptr : found->second;
}

}  // namespace halld::acq
