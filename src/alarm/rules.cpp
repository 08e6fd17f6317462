#include "halld/alarm/rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "halld/records/event_json.hpp"

namespace halld::alarm {

namespace {

struct KindName {
  RuleKind kind;
  std::string_view name;
};
constexpr std::array kind_names{KindName{RuleKind::limit, "limit"},
                                KindName{RuleKind::terminal_fault, "terminal_fault"},
                                KindName{RuleKind::part_fault, "part_fault"},
                                KindName{RuleKind::door_open, "door_open"},
                                KindName{RuleKind::comm_loss, "comm_loss"},
                                KindName{RuleKind::clock_skew, "clock_skew"}};

struct IndicatorInfo {
  Indicator indicator;
  std::string_view name;
  std::string_view display;
  std::string_view unit;
  bool per_business;
};
constexpr std::array indicator_infos{
    IndicatorInfo{Indicator::queue_length, "queue_length", "排队人数", "人", true},
    IndicatorInfo{Indicator::longest_wait_min, "longest_wait_min", "最长等候", "分钟", true},
    IndicatorInfo{Indicator::predicted_wait_min, "predicted_wait_min", "预计等候", "分钟", true},
    IndicatorInfo{Indicator::average_wait_15_min, "average_wait_15_min", "近15分钟平均等候", "分钟",
                  false},
    IndicatorInfo{Indicator::average_wait_60_min, "average_wait_60_min", "近1小时平均等候", "分钟",
                  false},
    IndicatorInfo{Indicator::service_level, "service_level", "服务水平", "", false},
    IndicatorInfo{Indicator::abandonment_rate, "abandonment_rate", "弃号率", "", false},
    IndicatorInfo{Indicator::satisfaction_rate, "satisfaction_rate", "满意率", "", false},
    IndicatorInfo{Indicator::terminal_availability, "terminal_availability", "终端可用率", "",
                  false},
    IndicatorInfo{Indicator::transaction_success_rate, "transaction_success_rate", "交易成功率", "",
                  false},
    IndicatorInfo{Indicator::indoor_temperature, "indoor_temperature", "厅内温度", "°C", false},
    IndicatorInfo{Indicator::indoor_humidity, "indoor_humidity", "厅内湿度", "%RH", false},
    IndicatorInfo{Indicator::power_kw, "power_kw", "用电功率", "kW", false},
    IndicatorInfo{Indicator::people_in_hall, "people_in_hall", "厅内人数", "人", false},
};

bool facility_indicator(Indicator indicator) {
  return indicator == Indicator::indoor_temperature || indicator == Indicator::indoor_humidity ||
         indicator == Indicator::power_kw || indicator == Indicator::people_in_hall;
}

// A facility reading older than this says nothing about the hall now.
constexpr auto facility_freshness = std::chrono::minutes(5);

// The hall's fresh readings of one quantity, taken together (the highest, or the sum).
std::optional<double> facility_value(const live::HallView& view, records::FacilityQuantity quantity,
                                     bool sum, Timestamp now) {
  std::optional<double> out;
  for (const auto& r : view.facility) {
    if (r.quantity != quantity || r.at + facility_freshness < now) continue;
    out = !out ? r.value : sum ? *out + r.value : std::max(*out, r.value);
  }
  return out;
}

const IndicatorInfo& info(Indicator indicator) {
  return *std::find_if(indicator_infos.begin(), indicator_infos.end(),
                       [&](const auto& i) { return i.indicator == indicator; });
}

constexpr std::array terminal_types{"payment", "business", "query", "internet"};

bool is_state_rule(RuleKind kind) {
  return kind == RuleKind::terminal_fault || kind == RuleKind::part_fault ||
         kind == RuleKind::door_open;
}

double minutes_between(Timestamp from, Timestamp to) {
  return std::chrono::duration<double>(to - from).count() / 60.0;
}

bool terminal_in_scope(const Rule& rule, const live::HallView& view, const std::string& terminal) {
  if (rule.scope.terminal_type.empty()) return true;
  if (!view.info) return false;
  auto it = view.info->terminal_types.find(terminal);
  return it != view.info->terminal_types.end() && it->second == rule.scope.terminal_type;
}

std::optional<double> today_rate(Indicator indicator, const kpi::Indicators& today) {
  switch (indicator) {
    case Indicator::service_level:
      return today.service_level;
    case Indicator::abandonment_rate:
      return today.abandonment_rate;
    case Indicator::satisfaction_rate:
      return today.satisfaction_rate;
    case Indicator::terminal_availability:
      return today.terminal_availability;
    case Indicator::transaction_success_rate:
      return today.transaction_success_rate;
    default:
      return std::nullopt;
  }
}

// Where the object's terminal is named, for maintenance windows on it: "T01/receipt_printer" →
// "T01".
std::string_view terminal_of(std::string_view object) {
  if (object.starts_with("channel:") || object.starts_with("clock:")) return {};
  return object.substr(0, object.find('/'));
}

}  // namespace

std::string_view to_string(RuleKind kind) {
  for (const auto& k : kind_names) {
    if (k.kind == kind) return k.name;
  }
  return "";
}

std::optional<RuleKind> parse_rule_kind(std::string_view text) {
  for (const auto& k : kind_names) {
    if (k.name == text) return k.kind;
  }
  return std::nullopt;
}

std::string_view to_string(Indicator indicator) {
  return info(indicator).name;
}
std::string_view display_name(Indicator indicator) {
  return info(indicator).display;
}
std::string_view unit_of(Indicator indicator) {
  return info(indicator).unit;
}
bool per_business(Indicator indicator) {
  return info(indicator).per_business;
}

std::optional<Indicator> parse_indicator(std::string_view text) {
  for (const auto& i : indicator_infos) {
    if (i.name == text) return i.indicator;
  }
  return std::nullopt;
}

std::optional<double> indicator_value(Indicator indicator, const live::HallView& view,
                                      std::string_view business, Timestamp now) {
  const auto& state = view.state;
  const auto wanted = [&](const std::string& b) { return business.empty() || b == business; };
  switch (indicator) {
    case Indicator::queue_length:
      return static_cast<double>(
          std::count_if(state.waiting.begin(), state.waiting.end(),
                        [&](const model::WaitingTicket& t) { return wanted(t.business); }));
    case Indicator::longest_wait_min: {
      double longest = 0;
      for (const auto& t : state.waiting) {
        if (wanted(t.business)) longest = std::max(longest, minutes_between(t.since, now));
      }
      return longest;
    }
    case Indicator::predicted_wait_min: {
      double predicted = 0;  // nobody waits for it and nobody was served of late: no wait
      for (const auto& p : view.predictions) {
        if (p.business == business) predicted = p.predicted_wait_min;
      }
      return predicted;
    }
    case Indicator::average_wait_15_min:
    case Indicator::average_wait_60_min: {
      const auto& tally =
          indicator == Indicator::average_wait_15_min ? view.last_15_min : view.last_60_min;
      return kpi::indicators(tally).average_wait_min;
    }
    case Indicator::indoor_temperature:
      return facility_value(view, records::FacilityQuantity::temperature, false, now);
    case Indicator::indoor_humidity:
      return facility_value(view, records::FacilityQuantity::humidity, false, now);
    case Indicator::power_kw:
      return facility_value(view, records::FacilityQuantity::power, true, now);
    case Indicator::people_in_hall:
      return facility_value(view, records::FacilityQuantity::people, true, now);
    default:
      return today_rate(indicator, kpi::indicators(view.today));
  }
}

Limit effective_limit(const Rule& rule) {
  if (!is_state_rule(rule.kind)) return rule.limit;
  Limit limit;
  (rule.severity == Severity::critical ? limit.critical : limit.warning) = 1.0;
  limit.hold = rule.limit.hold;
  limit.clear_hold = rule.limit.clear_hold;
  return limit;
}

std::optional<std::string> check(const Rule& rule) {
  if (rule.name.empty() || rule.name.size() > 200)
    return "a rule needs a name of at most 200 bytes";
  if (!is_state_rule(rule.kind)) {
    if (auto problem = check(rule.limit)) return problem;
  } else if (rule.limit.hold.count() < 0 || rule.limit.clear_hold.count() < 0) {
    return "hold times must not be negative";
  }
  if (!rule.scope.business.empty() &&
      (rule.kind != RuleKind::limit || !per_business(rule.indicator))) {
    return fmt::format(
        "a business type narrows only the queue indicators, not {}",
        rule.kind == RuleKind::limit ? to_string(rule.indicator) : to_string(rule.kind));
  }
  if (!rule.scope.terminal_type.empty()) {
    if (rule.kind == RuleKind::limit) return "a terminal type narrows only terminal rules";
    if (std::find(terminal_types.begin(), terminal_types.end(), rule.scope.terminal_type) ==
        terminal_types.end()) {
      return "the terminal type must be payment, business, query or internet";
    }
  }
  if (rule.part && rule.kind != RuleKind::part_fault)
    return "a component names only part-fault rules";
  if (rule.part == records::TerminalPart::network)
    return "a terminal's network link is watched by comm-loss rules";
  if (rule.kind == RuleKind::comm_loss && rule.limit.direction != Direction::above) {
    return "comm loss is judged on seconds unreachable: the direction is above";
  }
  if (rule.kind == RuleKind::clock_skew && rule.limit.direction != Direction::above) {
    return "clock skew is judged on seconds off: the direction is above";
  }
  return std::nullopt;
}

bool applies(const Rule& rule, const live::HallView& view) {
  return rule.enabled && (rule.scope.city_code.empty() || rule.scope.city_code == view.city_code) &&
         (rule.scope.hall_code.empty() || rule.scope.hall_code == view.code);
}

void Evaluator::set_rules(std::vector<Rule> rules) {
  rules_.clear();
  province_rules_.clear();
  city_rules_.clear();
  hall_rules_.clear();
  for (auto& rule : rules) {
    if (!rule.enabled) continue;
    const int id = rule.id;
    if (!rule.scope.hall_code.empty())
      hall_rules_[rule.scope.hall_code].push_back(id);
    else if (!rule.scope.city_code.empty())
      city_rules_[rule.scope.city_code].push_back(id);
    else
      province_rules_.push_back(id);
    rules_.emplace(id, std::move(rule));
  }
  std::erase_if(states_, [&](const auto& entry) { return !rules_.contains(entry.first.first); });
}

void Evaluator::set_maintenance(std::vector<MaintenanceWindow> windows) {
  maintenance_ = std::move(windows);
}

const Rule* Evaluator::rule(int id) const {
  auto it = rules_.find(id);
  return it == rules_.end() ? nullptr : &it->second;
}

std::vector<const Rule*> Evaluator::applicable(const live::HallView& view) const {
  std::vector<const Rule*> found;
  const auto add = [&](const std::vector<int>& ids) {
    for (int id : ids) {
      const Rule& r = rules_.at(id);
      if (applies(r, view)) found.push_back(&r);
    }
  };
  add(province_rules_);
  if (auto it = city_rules_.find(view.city_code); it != city_rules_.end()) add(it->second);
  if (auto it = hall_rules_.find(view.code); it != hall_rules_.end()) add(it->second);
  return found;
}

std::vector<Evaluator::Observation> Evaluator::observe(const Rule& rule, const live::HallView& view,
                                                       Timestamp now) const {
  std::vector<Observation> out;
  const auto& state = view.state;
  const auto& business = rule.scope.business;
  switch (rule.kind) {
    case RuleKind::limit:
      if (auto value = indicator_value(rule.indicator, view, business, now))
        out.push_back({business, *value});
      break;
    case RuleKind::terminal_fault:
      for (const auto& t : state.terminals) {
        if (t.state && terminal_in_scope(rule, view, t.id)) {
          out.push_back({t.id, *t.state == records::TerminalState::fault ? 1.0 : 0.0});
        }
      }
      break;
    case RuleKind::door_open:
      for (const auto& t : state.terminals) {
        if (terminal_in_scope(rule, view, t.id)) out.push_back({t.id, t.door_open ? 1.0 : 0.0});
      }
      break;
    case RuleKind::part_fault:
      for (const auto& t : state.terminals) {
        if (!terminal_in_scope(rule, view, t.id)) continue;
        for (const auto& [part, part_state] : t.faults) {
          if (part == records::TerminalPart::network || (rule.part && part != *rule.part)) continue;
          out.push_back({fmt::format("{}/{}", t.id, records::part_name(part)), 1.0});
        }
      }
      break;
    case RuleKind::comm_loss:
      for (const auto& c : state.channels) {
        const double down = c.up ? 0.0 : std::chrono::duration<double>(now - c.since).count();
        out.push_back({"channel:" + c.code, down, c.code});
      }
      for (const auto& t : state.terminals) {
        if (!t.state || !terminal_in_scope(rule, view, t.id)) continue;
        const bool offline = *t.state == records::TerminalState::offline;
        out.push_back(
            {t.id, offline ? std::chrono::duration<double>(now - t.state_since).count() : 0.0});
      }
      break;
    case RuleKind::clock_skew:
      // A device whose events stopped being out of bounds a quarter hour ago is judged right again.
      for (const auto& c : state.channels) {
        const bool recent = c.skewed_at && now - *c.skewed_at < std::chrono::minutes(15);
        out.push_back(
            {"clock:" + c.code, recent ? static_cast<double>(c.clock_skew_s) : 0.0, c.code});
      }
      break;
  }
  return out;
}

void Evaluator::judge(const Rule& rule, const live::HallView& view, Timestamp now,
                      std::vector<Decision>& out) {
  auto observations = observe(rule, view, now);
  auto& states = states_[{rule.id, view.hall_id}];
  if (is_state_rule(rule.kind)) {
    // A fault no longer listed (a part repaired, a terminal retired) is judged as over.
    for (const auto& [object, held] : states) {
      const bool seen = std::any_of(observations.begin(), observations.end(),
                                    [&](const Observation& o) { return o.object == object; });
      if (!seen) observations.push_back({object, 0.0});
    }
  }
  const bool source_up = std::all_of(view.state.channels.begin(), view.state.channels.end(),
                                     [](const model::ChannelLive& c) { return c.up; });
  const Limit limit = effective_limit(rule);
  for (const auto& o : observations) {
    auto it = states.find(o.object);
    const auto terminal = rule.kind == RuleKind::limit ? std::string_view{} : terminal_of(o.object);
    GateInputs in;
    in.schedule = rule.schedule;
    // A terminal in the 24-hour zone serves round the clock, whatever the hall's hours.
    if (!terminal.empty() && view.info &&
        view.info->terms.round_the_clock_terminals.contains(terminal)) {
      in.schedule = Schedule::always;
    }
    in.calendar = view.info ? &view.info->terms.calendar : nullptr;
    // A facility figure is its own source: it is judged only while its readings are fresh.
    in.needs_source = rule.kind != RuleKind::comm_loss &&
                      !(rule.kind == RuleKind::limit && facility_indicator(rule.indicator));
    in.source_up = source_up;
    in.hall = view.code;
    in.object = terminal;
    in.channel = o.channel;
    if (gate(in, maintenance_, now) != Gate::judge) {
      ++gated_;
      if (it != states.end()) it->second.unknown();
      continue;
    }
    ++judged_;
    if (it == states.end()) {
      if (o.value == 0.0 && rule.kind != RuleKind::limit)
        continue;  // nothing wrong, nothing to hold
      it = states.emplace(o.object, LimitState{}).first;
    }
    auto transition = it->second.observe(limit, o.value, now);
    if (!it->second.open() && rule.kind != RuleKind::limit && o.value == 0.0) states.erase(it);
    if (!transition) continue;
    Decision d{rule.id, view.hall_id, o.object, *transition, std::nullopt};
    if (transition->kind == Transition::Kind::clear) {
      d.threshold = limit.clear ? limit.clear : (limit.warning ? limit.warning : limit.critical);
    } else {
      d.threshold = transition->severity == Severity::critical ? limit.critical : limit.warning;
    }
    out.push_back(std::move(d));
  }
}

std::vector<Decision> Evaluator::evaluate(const live::HallView& view, Timestamp now) {
  std::vector<Decision> decisions;
  for (const Rule* rule : applicable(view)) judge(*rule, view, now, decisions);
  return decisions;
}

void Evaluator::restore(int rule_id, int hall_id, const std::string& object, Severity severity,
                        Timestamp since) {
  states_[{rule_id, hall_id}][object].restore(severity, since);
}

void Evaluator::forget(int rule_id, int hall_id, const std::string& object) {
  if (auto it = states_.find({rule_id, hall_id}); it != states_.end()) it->second.erase(object);
}

EvaluatorStats Evaluator::stats() const {
  EvaluatorStats s;
  s.rules = rules_.size();
  for (const auto& [key, states] : states_) s.states += states.size();
  s.judged = judged_;
  s.gated = gated_;
  return s;
}

}  // namespace halld::alarm
