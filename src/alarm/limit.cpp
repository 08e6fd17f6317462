#include "halld/alarm/limit.hpp"

#include <cmath>

namespace halld::alarm {

namespace {

bool past(Direction d, double value, double threshold) {
  return d == Direction::above ? value >= threshold : value <= threshold;
}

// The threshold a clear is judged against: given, or the first one that raises.
double clear_threshold(const Limit& l) {
  if (l.clear) return *l.clear;
  if (l.warning) return *l.warning;
  return *l.critical;
}

// On the good side of the clear threshold: strictly, so that a value at the limit is not good.
bool good(const Limit& l, double value) {
  const double threshold = clear_threshold(l);
  return l.direction == Direction::above ? value < threshold : value > threshold;
}

}  // namespace

std::optional<std::string> check(const Limit& l) {
  if (!l.warning && !l.critical) return "a limit needs a warning or a critical threshold";
  for (const auto& t : {l.warning, l.critical, l.clear}) {
    if (t && !std::isfinite(*t)) return "thresholds must be finite numbers";
  }
  const bool above = l.direction == Direction::above;
  if (l.warning && l.critical && (above ? *l.critical < *l.warning : *l.critical > *l.warning)) {
    return above ? "the critical threshold must not be below the warning one"
                 : "the critical threshold must not be above the warning one";
  }
  if (l.clear) {
    const double first = l.warning ? *l.warning : *l.critical;
    if (above ? *l.clear > first : *l.clear < first) {
      return above ? "the clear threshold must not be above the raising one"
                   : "the clear threshold must not be below the raising one";
    }
  }
  if (l.hold.count() < 0 || l.clear_hold.count() < 0) return "hold times must not be negative";
  return std::nullopt;
}

std::optional<Transition> LimitState::observe(const Limit& l, double value, Timestamp at) {
  const bool at_warning = l.warning && past(l.direction, value, *l.warning);
  const bool at_critical = l.critical && past(l.direction, value, *l.critical);
  if (at_warning || at_critical) {
    if (!warning_since_) warning_since_ = at;
  } else {
    warning_since_.reset();
  }
  if (at_critical) {
    if (!critical_since_) critical_since_ = at;
  } else {
    critical_since_.reset();
  }
  if (good(l, value)) {
    if (!good_since_) good_since_ = at;
  } else {
    good_since_.reset();
  }

  const auto held = [&](const std::optional<Timestamp>& since) {
    return since && at - *since >= l.hold;
  };
  std::optional<Severity> due;
  if (held(critical_since_))
    due = Severity::critical;
  else if (held(warning_since_))
    due = Severity::warning;

  if (!open_) {
    if (!due) return std::nullopt;
    open_ = *due;
    raised_at_ = at;
    return Transition{Transition::Kind::raise, *due, value, at};
  }
  if (due && *due > *open_) {
    open_ = *due;
    return Transition{Transition::Kind::escalate, *due, value, at};
  }
  if (good_since_ && at - *good_since_ >= l.clear_hold) {
    const Severity last = *open_;
    open_.reset();
    raised_at_.reset();
    return Transition{Transition::Kind::clear, last, value, at};
  }
  return std::nullopt;
}

void LimitState::unknown() {
  warning_since_.reset();
  critical_since_.reset();
  good_since_.reset();
}

void LimitState::restore(Severity severity, Timestamp since) {
  open_ = severity;
  raised_at_ = since;
}

}  // namespace halld::alarm
