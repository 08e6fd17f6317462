// Internal to proto: reading a description written in YAML (or JSON) — the hall protocol
// descriptions of proto/described and the Modbus device models of proto/modbus — so that every
// fault names its line and a misspelt key is an error rather than silently ignored.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace halld::proto::yaml {

std::size_t line_of(const YAML::Node& node);
// Throws described::DescriptionError naming the node's line.
[[noreturn]] void fail(const YAML::Node& node, const std::string& what);
std::string text_of(const YAML::Node& node, std::string_view what);
// Integers as written: decimal, or hexadecimal with 0x.
std::int64_t integer_of(const YAML::Node& node, std::string_view what);
std::size_t size_of(const YAML::Node& node, std::string_view what, std::size_t low,
                    std::size_t high);
double number_of(const YAML::Node& node, std::string_view what);
bool flag_of(const YAML::Node& node, std::string_view what);
std::vector<std::uint8_t> bytes_of(const YAML::Node& node, std::string_view what);
void only_keys(const YAML::Node& node, std::initializer_list<std::string_view> allowed,
               std::string_view what);
std::string sha256_hex(std::string_view text);

// Parses `text` and hands its root map to `read`; a YAML error, wherever it is met, becomes a
// DescriptionError with its line. `shape` says what the root should hold, for the error when it
// is not a map.
void read_document(std::string_view text, std::string_view shape,
                   const std::function<void(const YAML::Node& root)>& read);

}  // namespace halld::proto::yaml
