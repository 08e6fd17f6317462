// alarm/rules: the alarm rules and their evaluation over the live hall views. A rule judges a
// value per object of the halls in its scope — a hall's queue or KPI figure (limit rules), a
// terminal's or component's fault, an open door (state rules: 1 while it lasts), the seconds a
// channel or a terminal has been unreachable (comm-loss rules), the seconds a channel's device
// clock was found off within the last quarter hour (clock-skew rules) — through alarm/limit, gated
// by alarm/gate: its schedule, the hall's data source (a hall whose channel is down raises only the
// comm-loss alarm, its root cause) and maintenance windows.
// Owns: rule definitions and checks, the indicators' values, the state of every (rule, hall,
// object), rules indexed by scope so that a view meets only the rules that may apply to it.
// Pure, on the caller's clock. Must not touch: storage, the alarm lifecycle, notification.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "halld/alarm/gate.hpp"
#include "halld/alarm/limit.hpp"
#include "halld/live/engine.hpp"

namespace halld::alarm {

enum class RuleKind : std::uint8_t {
  limit,
  terminal_fault,
  part_fault,
  door_open,
  comm_loss,
  clock_skew
};
std::string_view to_string(RuleKind kind);
std::optional<RuleKind> parse_rule_kind(std::string_view text);

// What a limit rule watches. "today" figures are since the hall's local midnight; "15/60 min"
// over the last quarter or hour.
enum class Indicator : std::uint8_t {
  queue_length,        // tickets waiting
  longest_wait_min,    // the oldest waiting ticket's wait so far
  predicted_wait_min,  // for a ticket drawn now
  average_wait_15_min,
  average_wait_60_min,
  service_level,             // today, 0–1
  abandonment_rate,          // today, 0–1
  satisfaction_rate,         // today, 0–1
  terminal_availability,     // today, 0–1
  transaction_success_rate,  // today, 0–1
  // The hall's facility devices (docs/protocols/modbus.md), from readings of the last 5 minutes:
  indoor_temperature,  // the highest temperature point, °C
  indoor_humidity,     // the highest humidity point, %RH
  power_kw,            // the sum of the meters' power points
  people_in_hall,      // the sum of the people counters
};
std::string_view to_string(Indicator indicator);
std::optional<Indicator> parse_indicator(std::string_view text);
// The indicator's name in an alarm text (zh-CN) and its unit.
std::string_view display_name(Indicator indicator);
std::string_view unit_of(Indicator indicator);
// Whether the indicator can be taken per business type (the live queue knows the business of
// each ticket; the day's rates are hall-wide).
bool per_business(Indicator indicator);

struct Scope {
  std::string city_code;      // empty: every city
  std::string hall_code;      // empty: every hall of the city
  std::string business;       // limit rules on queue figures: that business type only
  std::string terminal_type;  // terminal rules: payment, business, query or internet only
};

struct Rule {
  int id = 0;
  std::string name;
  RuleKind kind = RuleKind::limit;
  Indicator indicator = Indicator::queue_length;  // limit rules only
  // Limit rules: on the indicator. Comm-loss rules: on the seconds unreachable. State rules
  // need none: a fault raises at `severity` after `limit.hold`, and clears as it ends.
  Limit limit;
  Severity severity = Severity::critical;     // state rules
  std::optional<records::TerminalPart> part;  // part-fault rules: that component only
  Scope scope;
  Schedule schedule = Schedule::opening_hours;
  bool enabled = true;
};

// The indicator's value in a hall's view at `now`, for one business type or (empty) the whole
// hall; nullopt when the view has none (no wait measured yet, no terminal reported today).
std::optional<double> indicator_value(Indicator indicator, const live::HallView& view,
                                      std::string_view business, Timestamp now);

// Why the rule cannot be used, in words; nullopt when it can.
std::optional<std::string> check(const Rule& rule);
// Whether the rule is enabled and its city and hall take in the hall.
bool applies(const Rule& rule, const live::HallView& view);

// A rule judged an object of a hall and it changed state.
struct Decision {
  int rule_id = 0;
  int hall_id = 0;
  std::string object;  // empty: the hall itself (or its business, see Scope); else a terminal,
                       // "terminal/part" or "channel:code"
  Transition transition;
  std::optional<double> threshold;  // the one crossed (raise, escalate) or the clear threshold
};

struct EvaluatorStats {
  std::size_t rules = 0;
  std::size_t states = 0;    // (rule, hall, object) with anything held
  std::uint64_t judged = 0;  // observations judged since construction
  std::uint64_t gated = 0;   // observations not judged (schedule, source down, maintenance)
};

class Evaluator {
 public:
  // Replaces the rules. States of rules whose definition is unchanged are kept; an open alarm
  // of a changed rule stays open until the new definition clears it.
  void set_rules(std::vector<Rule> rules);
  void set_maintenance(std::vector<MaintenanceWindow> windows);

  // Judges every rule that applies to the hall at `now` (in time order per hall).
  std::vector<Decision> evaluate(const live::HallView& view, Timestamp now);

  // An alarm open in storage (after a restart): the rule's state for the object is open.
  void restore(int rule_id, int hall_id, const std::string& object, Severity severity,
               Timestamp since);
  // An operator cleared the alarm by hand: the rule judges the object afresh.
  void forget(int rule_id, int hall_id, const std::string& object);

  const Rule* rule(int id) const;
  EvaluatorStats stats() const;

 private:
  struct Observation {
    Observation(std::string object_, double value_, std::string channel_ = {})
        : object(std::move(object_)), value(value_), channel(std::move(channel_)) {}
    std::string object;
    double value = 0;
    std::string channel;  // the channel a comm-loss observation is of, for maintenance
  };
  using States = std::map<std::string, LimitState, std::less<>>;  // by object
  std::vector<Observation> observe(const Rule& rule, const live::HallView& view,
                                   Timestamp now) const;
  void judge(const Rule& rule, const live::HallView& view, Timestamp now,
             std::vector<Decision>& out);
  std::vector<const Rule*> applicable(const live::HallView& view) const;

  std::map<int, Rule> rules_;
  std::vector<int> province_rules_;
  std::unordered_map<std::string, std::vector<int>> city_rules_;
  std::unordered_map<std::string, std::vector<int>> hall_rules_;
  std::vector<MaintenanceWindow> maintenance_;
  std::map<std::pair<int, int>, States> states_;  // by (rule, hall)
  std::uint64_t judged_ = 0;
  std::uint64_t gated_ = 0;
};

// The limit a rule judges its values by (state rules: 1 while the fault lasts).
Limit effective_limit(const Rule& rule);

}  // namespace halld::alarm
