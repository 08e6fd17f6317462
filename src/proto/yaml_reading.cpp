#include "yaml_reading.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "halld/proto/described/description.hpp"

namespace halld::proto::yaml {

using described::DescriptionError;

std::size_t line_of(const YAML::Node& node) {
  return node.Mark().is_null() ? 0 : static_cast<std::size_t>(node.Mark().line) + 1;
}

void fail(const YAML::Node& node, const std::string& what) {
  throw DescriptionError(line_of(node), what);
}

std::string text_of(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) fail(node, fmt::format("'{}' must be a single value", what));
  return node.Scalar();
}

// Integers as written: decimal, or hexadecimal with 0x.
std::int64_t integer_of(const YAML::Node& node, std::string_view what) {
  const auto text = text_of(node, what);
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && digits.front() == '-') {
    negative = true;
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    fail(node, fmt::format("'{}' must be an integer, not '{}'", what, text));
  return negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
}

std::size_t size_of(const YAML::Node& node, std::string_view what, std::size_t low,
                    std::size_t high) {
  const auto value = integer_of(node, what);
  if (value < static_cast<std::int64_t>(low) || value > static_cast<std::int64_t>(high))
    fail(node, fmt::format("'{}' must lie between {} and {}", what, low, high));
  return static_cast<std::size_t>(value);
}

std::vector<std::uint8_t> bytes_of(const YAML::Node& node, std::string_view what) {
  if (!node.IsSequence() || node.size() == 0 || node.size() > 8)
    fail(node, fmt::format("'{}' must be a list of 1 to 8 bytes", what));
  std::vector<std::uint8_t> out;
  for (const auto& b : node) out.push_back(static_cast<std::uint8_t>(size_of(b, what, 0, 255)));
  return out;
}

// The keys a map may have: a misspelt key is an error, not silently ignored.
void only_keys(const YAML::Node& node, std::initializer_list<std::string_view> allowed,
               std::string_view what) {
  if (!node.IsMap()) fail(node, fmt::format("{} must be a map", what));
  for (const auto& entry : node) {
    const auto key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      fail(entry.first, fmt::format("{} has no key '{}'", what, key));
  }
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string out;
  for (auto b : digest) out += fmt::format("{:02x}", b);
  return out;
}

double number_of(const YAML::Node& node, std::string_view what) {
  const auto text = text_of(node, what);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value))
    fail(node, fmt::format("'{}' must be a number, not '{}'", what, text));
  return value;
}

bool flag_of(const YAML::Node& node, std::string_view what) {
  const auto text = text_of(node, what);
  if (text == "true") return true;
  if (text == "false") return false;
  fail(node, fmt::format("'{}' must be true or false", what));
}

void read_document(std::string_view text, std::string_view shape,
                   const std::function<void(const YAML::Node& root)>& read) {
  auto line_of_mark = [](const YAML::Exception& e) {
    return e.mark.is_null() ? std::size_t{0} : static_cast<std::size_t>(e.mark.line) + 1;
  };
  try {
    const auto root = YAML::Load(std::string(text));
    if (!root.IsMap()) throw DescriptionError(1, fmt::format("a description is a map ({})", shape));
    read(root);
  } catch (const YAML::Exception& e) {
    throw DescriptionError(line_of_mark(e), e.msg);
  }
}

}  // namespace halld::proto::yaml
