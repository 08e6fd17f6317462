// alarm/engine: the alarms of the province and their lifecycle. Judges every published hall view
// (and, every tick, the latest view of each hall, so that holds and comm-loss times run out
// without new data) with the rules, and turns decisions and operators' actions into alarm
// transitions: raised → acknowledged (who, when, note) → cleared (by the condition, or by hand
// with a reason) → closed, one open alarm per (rule, hall, object), severity rising while open.
// A transition reaches subscribers (the alarm window, the notifier) at once and PostgreSQL
// through an ordered write queue (retried while the database is away); after a restart the
// alarms not closed are loaded and the rules' states restored, so nothing is raised twice.
// Owns: the standing alarms (not closed), alarm ids, the rule evaluator, the write queue. Every
// member lives on its strand except the standing list and subscribers, which readers take
// under a mutex. Must not touch: SMS, HTTP; the rules' storage is the API's (it calls reload()).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "halld/alarm/rules.hpp"

namespace halld::alarm {

enum class AlarmState : std::uint8_t { raised, acknowledged, cleared, closed };
std::string_view to_string(AlarmState state);
std::optional<AlarmState> parse_alarm_state(std::string_view text);

enum class Change : std::uint8_t { raise, escalate, acknowledge, clear, close };
std::string_view to_string(Change change);

struct Alarm {
  std::int64_t id = 0;
  int rule_id = 0;
  std::string rule_name;
  RuleKind kind = RuleKind::limit;
  std::optional<Indicator> indicator;  // limit rules
  int hall_id = 0;
  std::string hall_code;
  std::string hall_name;
  std::string city_code;
  std::chrono::minutes utc_offset{8 * 60};
  std::string object;
  Severity severity = Severity::warning;  // the highest reached
  AlarmState state = AlarmState::raised;
  Timestamp raised_at{};
  double raised_value = 0;
  std::optional<double> threshold;
  double last_value = 0;
  std::optional<Timestamp> acknowledged_at;
  std::string acknowledged_by;
  std::string acknowledge_note;
  std::optional<Timestamp> cleared_at;
  std::string cleared_by;
  std::string clear_reason;
  std::optional<Timestamp> closed_at;
};

// What an alarm is about, for people: 排队人数, 自助终端故障 …, and its unit.
std::string what_of(const Alarm& alarm);
std::string unit_of(const Alarm& alarm);

struct AlarmEvent {
  std::uint64_t sequence = 0;  // rises by one per event of this process
  Change change = Change::raise;
  Timestamp at{};
  std::string actor;  // "system" or the operator
  std::string note;
  Alarm alarm;  // after the change
};

nlohmann::json to_json(const Alarm& alarm);
nlohmann::json to_json(const AlarmEvent& event);

// An operator's action on an alarm.
struct Action {
  enum class Kind : std::uint8_t { acknowledge, clear } kind = Kind::acknowledge;
  std::int64_t alarm_id = 0;
  std::string actor;
  std::string note;  // acknowledgement note, or the reason for clearing (required)
};
struct ActionResult {
  enum class Outcome : std::uint8_t { done, not_found, conflict } outcome = Outcome::done;
  std::string message;  // why not
  std::optional<Alarm> alarm;
  // Done and in the database: what the operator then reads back says the same. False when the
  // database refused the write for now; the engine holds the change and keeps trying.
  bool stored = false;
};

struct EngineOptions {
  std::chrono::milliseconds tick{1000};
  std::size_t write_batch = 500;
};

class Engine final : public Service {
 public:
  using Subscriber = std::function<void(const AlarmEvent&)>;

  Engine(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
         live::Engine& live, EngineOptions options, const Clock& clock);
  ~Engine() override;
  std::string_view name() const override { return "alarms"; }

  // Blocking, before start(): rules, maintenance windows and the alarms not closed.
  void load();
  void start() override;
  // Writes what is queued, then ends; `done` runs on the strand.
  void stop(std::function<void()> done) override;

  // Thread-safe. Answers once the change is stored, or once storing it has failed for now.
  asio::awaitable<ActionResult> act(Action action);
  // Rules and maintenance windows again from the database (after the API changed them); open
  // alarms of rules deleted, disabled or no longer covering their hall are cleared.
  asio::awaitable<void> reload();

  // Thread-safe: the alarms not closed, oldest first.
  std::vector<Alarm> standing() const;
  // Thread-safe. Subscribers are called on the engine's strand and must not block. The
  // standing alarms at the moment of subscription come back with the id, so that a
  // subscriber misses nothing between the two.
  std::pair<std::uint64_t, std::vector<Alarm>> subscribe(Subscriber subscriber);
  void unsubscribe(std::uint64_t id);

  EvaluatorStats stats() const;  // thread-safe, as of the last evaluation

 private:
  struct Write {
    std::uint64_t sequence;  // the event's
    Alarm alarm;
    Change change;
    Timestamp at;
    std::optional<double> value;
    std::string actor;
    std::string note;
  };
  struct Loaded;

  void on_views(const std::vector<std::shared_ptr<const live::HallView>>& views);
  void evaluate(const live::HallView& view, Timestamp now);
  void decide(const Decision& decision, const live::HallView& view);
  ActionResult act_on_strand(const Action& action);
  void apply_loaded(Loaded loaded);
  // Records the change: in the standing list, to subscribers, into the write queue.
  void emit(Alarm& alarm, Change change, Timestamp at, std::optional<double> value,
            std::string actor, std::string note);
  // On the strand: tells the actions waiting for events up to `sequence` whether they are stored.
  void answer_waiting(std::uint64_t sequence, bool stored);
  Alarm clear_alarm(Alarm& alarm, Timestamp at, std::string actor, std::string reason);
  asio::awaitable<void> ticker();
  asio::awaitable<void> writer();

  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  live::Engine& live_;
  EngineOptions options_;
  const Clock& clock_;
  Loops loops_;
  Evaluator evaluator_;
  std::map<int, std::shared_ptr<const live::HallView>> latest_;  // by hall id
  std::map<std::tuple<int, int, std::string>, std::int64_t>
      open_;  // (rule, hall, object) → alarm id
  std::int64_t next_id_ = 1;
  std::deque<Write> writes_;
  // On the strand: operators' actions waiting for their last event's write, by its sequence.
  std::multimap<std::uint64_t, std::function<void(bool stored)>> waiting_actions_;
  std::optional<std::uint64_t> live_subscription_;
  Timer tick_timer_;
  Timer write_timer_;

  mutable std::mutex mutex_;                // guards the members below
  std::map<std::int64_t, Alarm> standing_;  // not closed, by id
  Subscribers<AlarmEvent> subscribers_;     // told under mutex_, in the order of sequence_
  std::uint64_t sequence_ = 0;
  EvaluatorStats stats_;

  Counter& transitions_;
  Counter& write_failures_;
  Gauge& queued_writes_;
  Histogram& evaluation_seconds_;
};

}  // namespace halld::alarm
