// notify/message: the zh-CN texts alarms are sent as — editable templates with named
// placeholders, and the digest that replaces a storm of alarms for one recipient by one text.
// Owns: placeholder names and their formatting (values, limits, local time), template checks,
// digests within a length. Pure. Must not touch: recipients, channels, delivery.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "halld/alarm/limit.hpp"

namespace halld::notify {

using alarm::Severity;
using alarm::Timestamp;
using alarm::Transition;

// What a text may say about one alarm transition.
struct AlarmFacts {
  Transition::Kind kind = Transition::Kind::raise;
  Severity severity = Severity::warning;
  std::string hall;  // name
  std::string hall_code;
  std::string indicator;  // its display name, e.g. 排队人数
  std::string object;     // what within the hall, e.g. a terminal's code; may be empty
  bool has_value = true;  // false for a state (a fault, an open door): no value or limit to tell
  double value = 0;
  std::optional<double> limit;
  std::string unit;  // e.g. 人, 分钟, %
  Timestamp at{};
  std::chrono::minutes utc_offset{8 * 60};  // the hall's, for {time}
};

// Placeholders: {state} {severity} {hall} {hall_code} {indicator} {object} {value} {limit} {unit}
// {time}.
constexpr std::string_view default_template =
    "【{severity}{state}】{hall}（{hall_code}）{indicator}{object} {value}{unit}，限值 "
    "{limit}{unit}，{time}";

// For alarms without a value: a fault, an open door.
constexpr std::string_view default_state_template =
    "【{severity}{state}】{hall}（{hall_code}）{indicator}{object}，{time}";

// Why a template cannot be used (an unknown placeholder, a brace left open, nothing to say), or
// nullopt.
std::optional<std::string> check_template(std::string_view text);
// The template (checked beforehand) with the placeholders filled in.
std::string render(std::string_view text, const AlarmFacts& facts);

// One text for many alarms to one recipient: a count by kind and the first of them listed,
// as many as fit in `max_units` UTF-16 code units (what a few SMS parts carry).
std::string digest(std::span<const AlarmFacts> alarms, std::size_t max_units);

}  // namespace halld::notify
