#include "halld/emergency/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "halld/records/json_fields.hpp"

namespace halld::emergency {
namespace {

using nlohmann::json;
using records::take;

struct ActionInfo {
  Action action;
  std::string_view code;
  std::string_view name;
  bool executable;
};
constexpr ActionInfo action_infos[] = {
    {Action::open_windows, "open_windows", "增开窗口", true},
    {Action::add_guides, "add_guides", "增设引导员", false},
    {Action::start_preprocessing, "start_preprocessing", "启动业务预办理", false},
    {Action::divert, "divert", "业务分流", false},
    {Action::dispatch_resources, "dispatch_resources", "资源调度", false},
    {Action::publish_notice, "publish_notice", "发布公告", true},
    {Action::notify, "notify", "短信通知", true},
    {Action::instruction, "instruction", "处置指令", false},
};

const ActionInfo& info(Action action) {
  for (const auto& i : action_infos) {
    if (i.action == action) return i;
  }
  return action_infos[0];
}

bool valid_code(const std::string& code, std::size_t max) {
  return code.size() <= max && std::all_of(code.begin(), code.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
         });
}

bool valid_event_type(const std::string& code) {
  return !code.empty() && code.size() <= 40 && std::all_of(code.begin(), code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
  });
}

// Notice texts travel in one show_message command: at most 255 bytes (docs/protocols/commands.md).
constexpr std::size_t max_notice_bytes = 255;

}  // namespace

std::string event_type_name(std::string_view code) {
  for (const auto& t : known_event_types) {
    if (t.code == code) return std::string(t.name);
  }
  return std::string(code);
}

std::string_view to_string(Action action) {
  return info(action).code;
}
std::optional<Action> parse_action(std::string_view text) {
  for (const auto& i : action_infos) {
    if (i.code == text) return i.action;
  }
  return std::nullopt;
}
std::string_view action_name(Action action) {
  return info(action).name;
}
bool executable(Action action) {
  return info(action).executable;
}

std::variant<Step, std::string> step_from_json(const json& body) {
  if (!body.is_object()) return std::string("each step is a JSON object");
  Step s;
  std::string action;
  int time_limit_min = 10;
  for (auto problem :
       {take(body, "action", action), take(body, "count", s.count), take(body, "text", s.text),
        take(body, "minutes", s.minutes), take(body, "level", s.level), take(body, "to", s.to),
        take(body, "role", s.role), take(body, "time_limit_min", time_limit_min),
        take(body, "executes", s.executes)}) {
    if (problem) return *problem;
  }
  auto parsed = parse_action(action);
  if (!parsed) {
    return std::string(
        "a step's 'action' must be open_windows, add_guides, start_preprocessing, divert, "
        "dispatch_resources, publish_notice, notify or instruction");
  }
  s.action = *parsed;
  if (time_limit_min < 1 || time_limit_min > 24 * 60)
    return std::string("a step's 'time_limit_min' is 1 to 1440");
  s.time_limit = std::chrono::minutes(time_limit_min);
  if (s.role.size() > 40) return std::string("a step's 'role' is at most 40 bytes");
  if (s.text.size() > 1000) return std::string("a step's 'text' is at most 1000 bytes");
  if (s.executes && !executable(s.action)) {
    return fmt::format("halld cannot carry out '{}' itself: a person confirms it", action);
  }
  switch (s.action) {
    case Action::open_windows:
      if (s.count < 1 || s.count > 20)
        return std::string("open_windows needs a 'count' of 1 to 20");
      break;
    case Action::add_guides:
      if (s.count < 0 || s.count > 50) return std::string("add_guides takes a 'count' of 0 to 50");
      break;
    case Action::publish_notice:
      if (s.text.empty() || s.text.size() > max_notice_bytes)
        return std::string("publish_notice needs a 'text' of at most 255 bytes (85 characters)");
      if (s.minutes < 1 || s.minutes > 24 * 60)
        return std::string("publish_notice needs 'minutes' of 1 to 1440");
      break;
    case Action::notify:
      if (s.text.empty()) return std::string("notify needs a 'text'");
      if (s.level < 1 || s.level > 9) return std::string("notify's 'level' is 1 to 9");
      break;
    case Action::divert:
      if (s.to != "terminals" && s.to != "nearby_halls")
        return std::string("divert's 'to' must be terminals or nearby_halls");
      break;
    case Action::instruction:
      if (s.text.empty()) return std::string("an instruction needs a 'text'");
      break;
    default:
      break;
  }
  return s;
}

std::variant<Plan, std::string> plan_from_json(const json& body) {
  if (!body.is_object()) return std::string("the body must be a JSON object");
  Plan p;
  json steps = json::array();
  for (auto problem :
       {take(body, "name", p.name), take(body, "event_type", p.event_type),
        take(body, "city", p.city_code), take(body, "hall", p.hall_code),
        take(body, "trigger_rules", p.trigger_rules), take(body, "min_severity", p.min_severity),
        take(body, "auto_start", p.auto_start), take(body, "effect_minutes", p.effect_minutes),
        take(body, "enabled", p.enabled), take(body, "steps", steps)}) {
    if (problem) return *problem;
  }
  if (p.name.empty() || p.name.size() > 200) return std::string("'name' is 1 to 200 bytes");
  if (!valid_event_type(p.event_type))
    return std::string("'event_type' is a lower-case code such as crowding");
  if (!valid_code(p.city_code, 32) || !valid_code(p.hall_code, 32))
    return std::string("'city' and 'hall' are codes");
  if (p.min_severity != 1 && p.min_severity != 2)
    return std::string("'min_severity' is 1 (warning) or 2 (critical)");
  if (p.effect_minutes < 1 || p.effect_minutes > 1440)
    return std::string("'effect_minutes' is 1 to 1440");
  if (p.trigger_rules.size() > 50) return std::string("at most 50 'trigger_rules'");
  if (std::any_of(p.trigger_rules.begin(), p.trigger_rules.end(), [](int id) { return id < 1; }))
    return std::string("'trigger_rules' are alarm rule ids");
  if (!steps.is_array() || steps.empty() || steps.size() > 30)
    return std::string("'steps' is a list of 1 to 30 steps");
  for (const auto& item : steps) {
    auto step = step_from_json(item);
    if (auto* problem = std::get_if<std::string>(&step))
      return fmt::format("step {}: {}", p.steps.size() + 1, *problem);
    p.steps.push_back(std::get<Step>(std::move(step)));
  }
  return p;
}

json to_json(const Step& s) {
  json j{{"action", to_string(s.action)},
         {"action_name", action_name(s.action)},
         {"role", s.role},
         {"time_limit_min", s.time_limit.count()},
         {"executes", s.executes},
         {"description", describe(s)}};
  if (s.action == Action::open_windows || s.action == Action::add_guides) j["count"] = s.count;
  if (!s.text.empty()) j["text"] = s.text;
  if (s.action == Action::publish_notice) j["minutes"] = s.minutes;
  if (s.action == Action::notify) j["level"] = s.level;
  if (s.action == Action::divert) j["to"] = s.to;
  return j;
}

json to_json(const Plan& p) {
  json steps = json::array();
  for (const auto& s : p.steps) steps.push_back(to_json(s));
  return {{"id", p.id},
          {"name", p.name},
          {"event_type", p.event_type},
          {"event_type_name", event_type_name(p.event_type)},
          {"city", p.city_code},
          {"hall", p.hall_code},
          {"trigger_rules", p.trigger_rules},
          {"min_severity", p.min_severity},
          {"auto_start", p.auto_start},
          {"effect_minutes", p.effect_minutes},
          {"steps", steps},
          {"version", p.version},
          {"enabled", p.enabled},
          {"updated_by", p.updated_by}};
}

std::string describe(const Step& s) {
  switch (s.action) {
    case Action::open_windows:
      return fmt::format("增开窗口 {} 个", s.count);
    case Action::add_guides:
      return s.count > 0 ? fmt::format("增设引导员 {} 名", s.count) : "增设引导员";
    case Action::publish_notice:
      return fmt::format("发布公告（{} 分钟）：{}", s.minutes, s.text);
    case Action::notify:
      return fmt::format("短信通知第 {} 级联系人：{}", s.level, s.text);
    case Action::divert:
      return s.to == "terminals" ? "业务分流：引导客户到自助终端办理"
                                 : "业务分流：引导客户到就近有余量的营业厅";
    default:
      return s.text.empty() ? std::string(action_name(s.action))
                            : fmt::format("{}：{}", action_name(s.action), s.text);
  }
}

bool covers(const Plan& plan, const std::string& city_code, const std::string& hall_code) {
  return (plan.city_code.empty() || plan.city_code == city_code) &&
         (plan.hall_code.empty() || plan.hall_code == hall_code);
}

std::vector<const Plan*> plans_for_alarm(const std::vector<Plan>& plans, int rule_id, int severity,
                                         const std::string& city_code,
                                         const std::string& hall_code) {
  const auto closeness = [](const Plan& p) {
    return !p.hall_code.empty() ? 0 : !p.city_code.empty() ? 1 : 2;
  };
  std::vector<const Plan*> chosen;
  for (const auto& plan : plans) {
    if (!plan.enabled || severity < plan.min_severity || !covers(plan, city_code, hall_code))
      continue;
    if (std::find(plan.trigger_rules.begin(), plan.trigger_rules.end(), rule_id) ==
        plan.trigger_rules.end())
      continue;
    auto same = std::find_if(chosen.begin(), chosen.end(),
                             [&](const Plan* p) { return p->event_type == plan.event_type; });
    if (same == chosen.end()) {
      chosen.push_back(&plan);
    } else if (std::pair(closeness(plan), plan.id) < std::pair(closeness(**same), (*same)->id)) {
      *same = &plan;
    }
  }
  return chosen;
}

json to_json(const Indicators& i) {
  json j{{"queue_length", i.queue_length},
         {"longest_wait_min", i.longest_wait_min},
         {"predicted_wait_min", i.predicted_wait_min},
         {"windows_open", i.windows_open},
         {"terminals_out", i.terminals_out}};
  j["average_wait_15_min"] = i.average_wait_15_min ? json(*i.average_wait_15_min) : json(nullptr);
  return j;
}

Indicators indicators_from_json(const json& j) {
  Indicators i;
  if (!j.is_object()) return i;
  i.queue_length = j.value("queue_length", 0.0);
  i.longest_wait_min = j.value("longest_wait_min", 0.0);
  i.predicted_wait_min = j.value("predicted_wait_min", 0.0);
  i.windows_open = j.value("windows_open", 0);
  i.terminals_out = j.value("terminals_out", 0);
  if (auto it = j.find("average_wait_15_min"); it != j.end() && it->is_number())
    i.average_wait_15_min = it->get<double>();
  return i;
}

bool effective(std::string_view event_type, const Indicators& before, const Indicators& after,
               bool alarm_cleared) {
  const auto fell = [](double from, double to) { return to <= 0 || to <= from * 0.75; };
  if (event_type == "crowding") {
    return fell(before.predicted_wait_min, after.predicted_wait_min) &&
           fell(before.queue_length, after.queue_length);
  }
  if (event_type == "terminal_failure") return after.terminals_out < before.terminals_out;
  return alarm_cleared;
}

double distance_km(double lat1, double lon1, double lat2, double lon2) {
  constexpr double earth_km = 6371.0;
  const auto rad = [](double degrees) { return degrees * std::numbers::pi / 180.0; };
  const double dlat = rad(lat2 - lat1), dlon = rad(lon2 - lon1);
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(rad(lat1)) * std::cos(rad(lat2)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * earth_km * std::asin(std::min(1.0, std::sqrt(a)));
}

std::vector<DivertChoice> divert_targets(const HallLoad& origin, const std::vector<HallLoad>& halls,
                                         double target_wait_min, std::size_t count, double max_km) {
  std::vector<DivertChoice> out;
  const double room_below = std::min(target_wait_min, origin.predicted_wait_min / 2);
  for (const auto& hall : halls) {
    if (hall.code == origin.code || !hall.open || hall.windows_open == 0) continue;
    if (hall.predicted_wait_min > room_below) continue;
    const double km = distance_km(origin.latitude, origin.longitude, hall.latitude, hall.longitude);
    if (km > max_km) continue;
    out.push_back({hall, km});
  }
  std::sort(out.begin(), out.end(), [](const DivertChoice& a, const DivertChoice& b) {
    return std::pair(a.distance_km + a.hall.predicted_wait_min, a.hall.code) <
           std::pair(b.distance_km + b.hall.predicted_wait_min, b.hall.code);
  });
  if (out.size() > count) out.resize(count);
  return out;
}

}  // namespace halld::emergency
