// emergency/plan: what an emergency plan is (seed 000 §4.4.1) — an event type, a scope, the
// alarm rules that suggest it, ordered steps — read from and written as JSON; which plans an
// alarm calls up; how a plan's effect is judged from the indicators before and after; where to
// divert customers. Pure: no I/O, no clock of its own.
// Must not touch: storage, alarms' lifecycle, commands (emergency/manager carries plans out).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace halld::emergency {

// The kinds of event a plan is for; a province may add its own (any lower-case code).
struct EventType {
  std::string_view code;
  std::string_view name;  // zh-CN
};
inline constexpr EventType known_event_types[] = {
    {"crowding", "客户多"},
    {"public_safety", "公共安全事件"},
    {"terminal_failure", "自助服务终端故障"},
    {"system_outage", "排队/通信系统中断"},
    {"power_outage", "营业厅停电"},
    {"extreme_weather", "极端天气"},
};
// The zh-CN name of an event type; the code itself for one the province added.
std::string event_type_name(std::string_view code);

enum class Action : std::uint8_t {
  open_windows,         // halld opens `count` closed windows of the hall (queue system command)
  add_guides,           // 增设引导员
  start_preprocessing,  // 启动业务预办理
  divert,               // 业务分流: to self-service terminals or the nearest halls with room
  dispatch_resources,   // 资源调度
  publish_notice,       // a notice on the hall's screens and LED boards
  notify,               // texts to the people at an escalation level
  instruction,          // free text for the clerks
};
std::string_view to_string(Action action);
std::optional<Action> parse_action(std::string_view text);
std::string_view action_name(Action action);  // zh-CN
// Whether halld can carry the action out itself (otherwise a person confirms it).
bool executable(Action action);

struct Step {
  Action action = Action::instruction;
  int count = 0;     // open_windows, add_guides
  std::string text;  // publish_notice, notify, instruction, dispatch_resources
  int minutes = 0;   // publish_notice: how long it is shown
  int level = 1;     // notify: the escalation level told
  std::string to;    // divert: "terminals" or "nearby_halls"
  std::string role;  // who is responsible
  std::chrono::minutes time_limit{10};
  bool executes = false;  // halld carries it out
};

struct Plan {
  int id = 0;
  std::string name;
  std::string event_type;
  std::string city_code;  // empty: the province
  std::string hall_code;  // empty: every hall of the city (or province)
  std::vector<int> trigger_rules;
  int min_severity = 1;  // 1 warning, 2 critical
  bool auto_start = false;
  int effect_minutes = 20;
  std::vector<Step> steps;
  int version = 1;
  bool enabled = true;
  std::string updated_by;
};

// A plan from an API body (without id, version, updated_by), or what is wrong with it.
std::variant<Plan, std::string> plan_from_json(const nlohmann::json& body);
nlohmann::json to_json(const Plan& plan);
nlohmann::json to_json(const Step& step);
std::variant<Step, std::string> step_from_json(const nlohmann::json& body);
// One line for a person: "增开窗口 2 个", "发布公告：…".
std::string describe(const Step& step);

// The plans an alarm calls up: enabled, triggered by its rule at its severity, covering the
// hall; of several for one event type, the one closest to the hall (hall, then city, then
// province; then the lowest id).
std::vector<const Plan*> plans_for_alarm(const std::vector<Plan>& plans, int rule_id, int severity,
                                         const std::string& city_code,
                                         const std::string& hall_code);
// Whether a plan may run in a hall (its scope covers it).
bool covers(const Plan& plan, const std::string& city_code, const std::string& hall_code);

// The indicators a plan's effect is judged by, as they were at a moment.
struct Indicators {
  double queue_length = 0;
  double longest_wait_min = 0;
  double predicted_wait_min = 0;
  std::optional<double> average_wait_15_min;
  int windows_open = 0;
  int terminals_out = 0;  // in fault or offline
};
nlohmann::json to_json(const Indicators& indicators);
Indicators indicators_from_json(const nlohmann::json& json);

// Whether the plan worked: for a crowding event the predicted wait and the queue fell by at least
// a quarter (or to nothing); for a terminal failure fewer terminals are out; otherwise the alarm
// that suggested it has cleared.
bool effective(std::string_view event_type, const Indicators& before, const Indicators& after,
               bool alarm_cleared);

// A hall customers could be sent to.
struct HallLoad {
  std::string code;
  std::string name;
  double latitude = 0;
  double longitude = 0;
  double predicted_wait_min = 0;
  int queue_length = 0;
  int windows_open = 0;
  bool open = true;  // open now and its data current
};
struct DivertChoice {
  HallLoad hall;
  double distance_km = 0;
};
// Up to `count` open halls within `max_km` whose predicted wait is at most half the origin's
// (and under its target), nearest first — ranked by distance plus the wait, at 1 km a minute.
std::vector<DivertChoice> divert_targets(const HallLoad& origin, const std::vector<HallLoad>& halls,
                                         double target_wait_min, std::size_t count = 3,
                                         double max_km = 30);
// Great-circle distance.
double distance_km(double lat1, double lon1, double lat2, double lon2);

}  // namespace halld::emergency
