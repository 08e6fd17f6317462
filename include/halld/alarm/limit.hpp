// alarm/limit: how one limit rule judges one object's value over time — thresholds for warning
// and critical, a direction, a hold time before raising, a separate clear threshold
// (hysteresis) and a hold before clearing (so a value hovering at the limit does not flap).
// Owns: the state of one (rule, object) pair and the transitions it decides. Pure: values and
// times come from the caller (the KPI engine's views, a simulated clock in tests). Must not
// touch: storage, schedules, scopes, notification — the alarm engine decides when a rule
// applies and what a transition becomes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "halld/records/events.hpp"

namespace halld::alarm {

using records::Timestamp;

enum class Severity : std::uint8_t { warning = 1, critical = 2 };
enum class Direction : std::uint8_t { above, below };  // which side of the threshold is bad

struct Limit {
  Direction direction = Direction::above;
  std::optional<double> warning;  // at least one of the two
  std::optional<double> critical;
  // Back on the good side of this (and for clear_hold) clears; default: the lowest raising
  // threshold.
  std::optional<double> clear;
  std::chrono::seconds hold{0};
  std::chrono::seconds clear_hold{0};
  bool operator==(const Limit&) const = default;
};

// Why a limit cannot be used, in words; nullopt when it can.
std::optional<std::string> check(const Limit& limit);

struct Transition {
  enum class Kind : std::uint8_t { raise, escalate, clear };
  Kind kind = Kind::raise;
  Severity severity = Severity::warning;  // after the transition (the last one for a clear)
  double value = 0;
  Timestamp at{};
};

class LimitState {
 public:
  // A new value of the object at `at` (in time order). At most one transition.
  std::optional<Transition> observe(const Limit& limit, double value, Timestamp at);
  // The value cannot be judged now (outside the rule's schedule, its source down, in
  // maintenance): holds in progress start again later; an open alarm stays open, neither
  // cleared by the silence nor raised further.
  void unknown();
  // Open at `severity` since `since`, as stored before a restart.
  void restore(Severity severity, Timestamp since);

  std::optional<Severity> open() const { return open_; }
  std::optional<Timestamp> open_since() const { return raised_at_; }

 private:
  std::optional<Severity> open_;
  std::optional<Timestamp> raised_at_;
  std::optional<Timestamp> warning_since_;  // continuously at or past the warning threshold since
  std::optional<Timestamp> critical_since_;
  std::optional<Timestamp>
      good_since_;  // continuously on the good side of the clear threshold since
};

}  // namespace halld::alarm
